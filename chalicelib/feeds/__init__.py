"""XML product-feed sync (issue 13 item 1, the seed's diagram 18).

Staff register feed sources (an HTTP URL or an S3 object; Google Merchant RSS, Atom or a plain
product-list XML, with a field mapping).  A run fetches a source with a conditional GET
(fetching.py), parses it by streaming with a parser that refuses DTDs and entities
(xmlstream.py), checks each item (rules.py) and sends the valid rows in batches through the
feed-sync queue (sync.py); the queue's consumer upserts each batch through catalog_admin.api
(batches.py), and the run's last step writes its CSV error report to S3 and e-mails it
(report.py).  dispatch.py starts the sources whose schedule is due.
"""
