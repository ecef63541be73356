"""Notifications: transactional e-mail and SMS (verification codes, password resets, security
alerts) queued after commit and delivered by the `notifications` queue consumer.

    service.notify(...)   validate + render, queue after commit        (called by other areas)
    handlers.py           the SQS consumer: deliver through chalicelib/adapters (mail, sms)
    templates.py          the tr/en texts and their allowed parameters
"""
