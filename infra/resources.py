"""What the deployed stack holds besides the functions, and what each function may touch.

The one place to edit when an area starts using a queue or a bucket: add the queue or bucket
here, then name it under the area's function in ACCESS.  infra/template.py turns this into
resources, IAM statements and outputs; tests/unit/test_template.py checks the result.

Queue *consumers* are not listed here: a function that consumes a queue says so in code
(`@bp.on_sqs_message(queue="feed-sync")` in its area's handlers.py, registered by its
functions/ module), and the template gives it the event source mapping and the receive
permissions from that.  Bucket notifications likewise (`@bp.on_s3_event(bucket="images",
prefix="tenants/")`): the template adds the S3 event to the function, and a dead-letter queue
for its failed asynchronous invocations; its object access still comes from ACCESS below.
"""
from __future__ import annotations

# Prefix of every physical name; the same "huglu-<stage>" the app's config derives its
# QUEUE_PREFIX / BUCKET_PREFIX defaults from (chalicelib/platform/config.py).
APP = "huglu"

# Function defaults and the exceptions to them.
RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"  # the dependency layer's native wheels (bcrypt, pydantic-core) must match
MEMORY_MB = 512
TIMEOUT_S = 15
LOG_RETENTION_DAYS = 30
FUNCTION_OVERRIDES: dict[str, dict[str, int]] = {
    "migrate": {"timeout": 300},
    # Decodes up to 40-megapixel images with Pillow (~160 MB per copy as RGBA) and re-encodes
    # them; Lambda's CPU share grows with memory, so more memory is also more speed.
    "media_thumbnails": {"memory": 1536, "timeout": 60},
    # fpdf2 renders ~0.25 s per invoice here; CPU share grows with memory.
    "invoice_jobs": {"memory": 1024, "timeout": 60},
    # Stops claiming shipments 10 s before its deadline; 15 s would leave it almost none.
    "shipping_poll": {"timeout": 120},
    # Settles and publishes in rounds until done or 40 s (platform/outbox.py RELAY_BUDGET_SECONDS): every
    # row the commit callback published waits for it now (a Redis mark instead of a per-request UPDATE).
    "outbox_relay": {"timeout": 60},
    # Streams and parses a whole feed (100,000 products in well under a minute here); the catalogue
    # writes are spread over feeds_rows' batches, so this is parse time plus the queue sends.
    "feeds_fetch": {"memory": 1024, "timeout": 900},
    # One batch of up to 500 rows through the catalogue's rules in a transaction.
    "feeds_rows": {"timeout": 120},
    # A full logical backup (and, as its own message, a restore into a scratch database for the
    # verification): streamed, so memory stays small, but as long as the database is big.
    "backups_daily": {"memory": 1024, "timeout": 900},
    "backups_jobs": {"memory": 1024, "timeout": 900},
}

# SQS queues, each with a dead-letter queue.  Visibility timeout is derived: at least six times
# the longest timeout of the queue's consumers (AWS's guidance for Lambda event sources).
QUEUES: dict[str, dict[str, int]] = {
    "notifications": {},  # e-mail / SMS / push deliveries
    "events": {},  # analytics and ML events (the ML service consumes them)
    "feed-sync": {},  # XML product-feed batches of valid rows (feeds_rows applies them to the catalogue)
    "feed-runs": {},  # XML product-feed runs to fetch and parse (feeds_fetch; the dispatcher and staff queue them)
    "order-events": {},  # order placed / status changed (outbox): customer notifications
    "invoices": {},  # order paid (outbox): issue, render and e-mail the invoice
    "stock-events": {},  # StockReturned (inventory's outbox): back-in-stock e-mails
    "wallet-refunds": {},  # WalletRefundRequested (orders' outbox): refunds credited to the wallet
    "payment-refunds": {},  # PaymentRefundRequested (orders' outbox): refunds back to an iyzico card
    "backups": {},  # staff-requested backups and tenant exports, backup verifications (backups_jobs)
    "wallet-bonus": {},  # OrderBonusStatus (orders' outbox): HPay bonus earned on delivery, taken back on return
    # The same OrderBonusStatus for the other areas that reward a delivered order (issue 15):
    "loyalty-events": {},  # loyalty points and levels
    "referral-events": {},  # referral rewards (the referee's first order), reversed on return
    "campaign-rewards": {},  # a promotion's bonus credit
}
# The queues of orders.api.REWARD_QUEUES: whoever moves an order to delivered / returned / refunded
# publishes to all of them (through the outbox).
REWARD_QUEUES = ["wallet-bonus", "loyalty-events", "referral-events", "campaign-rewards"]
MAX_RECEIVE_COUNT = 5  # deliveries before a message goes to the DLQ
QUEUE_RETENTION_S = 4 * 24 * 3600
DLQ_RETENTION_S = 14 * 24 * 3600  # the SQS maximum: time to look at poison messages

# S3 buckets: all private, encrypted, public access blocked, TLS only, kept on stack delete.
BUCKETS: dict[str, dict[str, bool]] = {
    "images": {"versioned": False},
    "invoices": {"versioned": True},
    "backups": {"versioned": True},
    "uploads": {"versioned": False},  # customers' private uploads (return photos)
    "feeds": {"versioned": False},  # product-feed runs' CSV error reports (and feeds staff upload for s3 sources)
    "ml-models": {"versioned": True},  # the ML service's model registry: tenants/<id>/<kind>/<version>/..., aliases.json
}

# Per function, beyond the baseline every function gets (its own log group, VPC networking,
# read access to the app secret):
#   "s3":      buckets whose objects it reads, writes and deletes (and lists, so that a missing
#              key answers 404 rather than 403)
#   "sqs":     queues it sends to
#   "ses":     SES sending actions (SES_SEND_ACTIONS), granted on the stack's sender identity only:
#              the MailFromAddress parameter's address and its domain (also its MAIL_FROM)
#   "actions": IAM actions that have no resource-level permissions (must be in WILDCARD_ACTIONS)
#   "websocket": ["push"]: post to the WebSocket API's connections (execute-api:ManageConnections on
#              the stack's WebSocket API) and get its WS_ENDPOINT_URL
# e.g. "catalog": {"s3": ["images"]}, "orders": {"sqs": ["notifications", "events"]}
ACCESS: dict[str, dict[str, list[str]]] = {
    # "events" below: functions that send the ML service its events (chalicelib/ml/api.py: the app's
    # activity, order status moves, payment attempts, logins).  The ML service itself runs outside
    # these functions (ml_container/); its task role reads "events" and the "ml-models" bucket.
    # Live users (issue 13): the HTTP routes, the expiry sweep and the WebSocket function itself
    # push appeared / left / snapshot events to staff's connections.
    "live": {"sqs": ["events"], "websocket": ["push"]},
    "live_sweep": {"websocket": ["push"]},
    "live_ws": {"websocket": ["push"]},
    # The health check's AWS probe.  (STS answers GetCallerIdentity even without this
    # permission; it is listed so the probe keeps working under an SCP that denies by default.)
    # Staff's dead-letter view (GET /api/admin/queues...): counts, peek and redrive of every queue.
    "system": {"actions": ["sts:GetCallerIdentity"], "dead_letters": ["*"]},
    # The notifications consumer: e-mail from the sender identity, SMS straight to phone numbers.
    # It re-queues a send()'s delivery on its own queue (rate limit, retry backoff); Expo and the
    # SMS gateway (Netgsm) are HTTPS calls, no IAM.
    "notifications": {"ses": ["ses:SendEmail"], "actions": ["sns:Publish"], "sqs": ["notifications"]},
    # The sweep re-queues deferred deliveries (quiet hours over) and reads push receipts.
    "notifications_sweep": {"sqs": ["notifications"]},
    # Campaign sends (issue 15): each recipient's messages go out through the outbox to the consumer.
    "campaign_sends": {"sqs": ["notifications"]},
    # Verification codes, reset links and security alerts are queued for the consumer above.
    "accounts": {"sqs": ["events", "notifications"]},
    # Stock counts publish StockReturned through the outbox after commit (inventory.api).
    "catalog_admin": {"sqs": ["stock-events"]},
    # Product images: the API signs the upload forms (with its own role's credentials, so it
    # needs PutObject), checks uploads and deletes images; the S3-event function reads the
    # originals, writes clean originals and thumbnails, deletes refused files.
    "media": {"s3": ["images"]},
    "media_thumbnails": {"s3": ["images"]},
    # Checkout and cancel publish their outbox events after commit (order-events; invoices when
    # paid; stock-events when a cancel brings stock back).
    "orders": {"sqs": ["events", "order-events", "invoices", "stock-events", "wallet-refunds", *REWARD_QUEUES,
                       "payment-refunds"]},
    "order_events": {"sqs": ["notifications"]},
    # The stock-events consumer queues the back-in-stock e-mails.
    "stock_events": {"sqs": ["notifications"]},
    # Status moves, cancel and mark-paid: as "orders" (outbox after commit, stock back).
    "orders_admin": {"sqs": ["events", "order-events", "invoices", "stock-events", "wallet-refunds", *REWARD_QUEUES,
                             "payment-refunds"]},
    "release_reservations": {"sqs": ["events", "order-events", "stock-events"]},
    # Invoices: the PDFs (presigned downloads, render-on-download) and the "invoice issued" e-mail.
    "invoices": {"s3": ["invoices"], "sqs": ["notifications"]},
    "invoice_jobs": {"s3": ["invoices"], "sqs": ["notifications"]},
    # Shipments move orders (lifecycle's outbox events are published after commit by the caller).
    "shipping": {"sqs": ["events", "order-events", *REWARD_QUEUES]},
    "shipping_poll": {"sqs": ["events", "order-events", *REWARD_QUEUES]},
    # Returns: customers' photos (presigned POST / GET, HEAD + magic bytes), decision e-mails, and
    # the outbox events of the order and of a restock (stock-events).
    "returns": {"s3": ["uploads"], "sqs": ["events", "order-events", "notifications", "stock-events", "wallet-refunds",
                                         *REWARD_QUEUES, "payment-refunds"]},
    # The wallet (functions/wallet.py, functions/wallet_holds.py) needs nothing beyond the baseline:
    # its ledger, requests and holds are MySQL rows, and it sends no messages yet.
    # An order paid from the wallet: the orders' outbox events of mark_paid (status, invoice).
    "wallet_payments": {"sqs": ["events", "order-events", "invoices"]},
    # A wallet refund confirmed: the order may become refunded (order-events, wallet-bonus).
    "wallet_refunds": {"sqs": ["events", "order-events", *REWARD_QUEUES]},
    # A bank transfer confirmed by staff (payments_admin): mark_paid's outbox events (status, invoice).
    # functions/payments.py, payments_sweep.py and payments_reconcile.py: each card attempt's outcome and
    # the order's status moves go to the ML service ("events", chalicelib/ml/api.py).
    "payments": {"sqs": ["events"]},
    "payments_sweep": {"sqs": ["events"]},
    "payments_reconcile": {"sqs": ["events"]},
    # Admin refunds and cancels: request_refund's events (order-events, payment-refunds,
    # wallet-refunds for a cancelled order's wallet part, stock-events from the cancel).
    "payments_admin": {"sqs": ["events", "order-events", "invoices", "payment-refunds", "wallet-refunds", "stock-events",
                               *REWARD_QUEUES]},
    # A card refund confirmed: the order may become refunded (order-events, wallet-bonus).
    "payments_refunds": {"sqs": ["events", "order-events", *REWARD_QUEUES]},
    # Backups: the backup bucket (dumps, manifests, the media mirror) and the media buckets read;
    # the API queues manual backups, the daily job queues the verification; restoring media writes back.
    "backups": {"s3": ["backups"], "sqs": ["backups"]},
    "backups_daily": {"s3": ["backups", "images", "uploads"], "sqs": ["backups"]},
    "backups_jobs": {"s3": ["backups", "images", "uploads"]},
    # Product feeds: staff queue runs (feed-runs) and read reports (feeds bucket); the dispatcher
    # queues runs; the fetch function sends batches (feed-sync) and, like the batch consumer that
    # ends a run, writes the report and queues its e-mail; the batch consumer's stock counts
    # publish StockReturned (stock-events).  s3 sources may name other buckets: granted per deployment.
    "feeds": {"s3": ["feeds"], "sqs": ["feed-runs"]},
    "feeds_dispatch": {"sqs": ["feed-runs"]},
    "feeds_fetch": {"s3": ["feeds"], "sqs": ["feed-sync", "notifications"]},
    "feeds_rows": {"s3": ["feeds"], "sqs": ["notifications", "stock-events"]},
    # The relay publishes to every queue an outbox event may name.
    "outbox_relay": {"sqs": ["order-events", "invoices", "stock-events", "wallet-refunds", *REWARD_QUEUES,
                             "payment-refunds", "notifications", "events"]},
}

# SES actions an "ses" entry may grant; SES scopes them by identity ARN.
SES_SEND_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail")

# What a function in a VPC needs to manage its network interfaces (the actions of AWS's
# AWSLambdaVPCAccessExecutionRole).
VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

# The only actions allowed on Resource "*", and why.
WILDCARD_ACTIONS: dict[str, str] = {
    **{action: "Lambda VPC networking: ENI ids are not known in advance and EC2's Describe* "
       "actions have no resource-level permissions" for action in VPC_ACTIONS},
    "sts:GetCallerIdentity": "STS has no resource ARNs",
    # A phone number is not an ARN: IAM authorises SMS publishing only on Resource "*" (a topic
    # ARN would allow publishing to that topic, not to numbers).
    "sns:Publish": "SMS straight to a phone number has no resource ARN",
}

# Keys of the Secrets Manager secret huglu/<stage>/app that become environment variables
# through CloudFormation dynamic references (resolved at deploy time, never in the template).
# ML_SERVICE_TOKEN: the X-Service-Token the API sends the ML service, which reads the same key
# (infra/ml_service.py SECRET_KEYS).
SECRET_ENV = ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "API_KEY_PEPPER", "DATA_KEYS", "DATA_HASH_KEY",
              "MAPS_API_KEY", "CARRIER_API_KEY", "CARRIER_WEBHOOK_SECRET", "ML_SERVICE_TOKEN")
