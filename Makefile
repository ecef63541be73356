# Huğlu Commerce — local commands.  Every target works on a fresh machine: it builds the
# virtualenv first when needed.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The ML service's own virtualenv (TensorFlow, scikit-learn, pandas): never the API's.
ML_VENV  := .venv-ml
ML_PY    := $(ML_VENV)/bin/python
ML_STAMP := $(ML_VENV)/.installed

.PHONY: ml-eval ml-test ml-service ml-train dev test test-localstack redrive fuzz bench lint openapi package layer migrate seed tenant reconcile worker services clean \
	backup restore verify-backup tenant-export tenant-restore

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q "pip<26.3"  # chalice 1.34 pins pip below 26.3
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

$(ML_STAMP): ml_container/requirements.txt ml_container/requirements-dev.txt
	@test -x $(ML_PY) || $(PYTHON) -m venv $(ML_VENV) || python3 -m venv $(ML_VENV)
	$(ML_PY) -m pip install -q -r ml_container/requirements-dev.txt
	@touch $(ML_STAMP)

services:
	@bash infra/local/services.sh

## make dev: the whole local stack (MariaDB/Redis, migrations, demo data, moto, iyzico sandbox on :8767, API on :8000, worker)
dev: $(STAMP) $(ML_STAMP) services
	ML_PYTHON=$(abspath $(ML_PY)) $(PY) -m infra.local.dev

## make test: the whole suite against the real MariaDB and Redis on this machine: the API's, then the
## ML service's (ml_container/tests, in .venv-ml)
test: $(STAMP) $(ML_STAMP) services
	ML_PYTHON=$(abspath $(ML_PY)) $(PY) -m pytest
	cd ml_container && ../$(ML_PY) -m pytest -q

## make ml-test: the ML service's tests alone
ml-test: $(ML_STAMP) services
	cd ml_container && ../$(ML_PY) -m pytest -q

## make ml-eval [SPLIT=2011-11-09] [END=2011-12-10] [ONLY=recommender]: every model beside its baselines
## on the shipped UCI data (exit 1 when the recommender does not beat every baseline)
ml-eval: $(ML_STAMP)
	cd ml_container && ../$(ML_PY) -m huglu_ml.evaluate $(if $(SPLIT),--split $(SPLIT)) $(if $(END),--end $(END)) \
		$(if $(ONLY),--only $(ONLY))

## make ml-service: the ML service alone on :8010 (make dev starts it with the rest)
ml-service: $(ML_STAMP) services
	cd ml_container && ML_SERVICE_TOKEN=$${ML_SERVICE_TOKEN:-dev-ml-token} ../$(ML_PY) -m uvicorn huglu_ml.main:app --port 8010

## make ml-train TENANT=<id>: the batch trainer for one tenant (scheduled daily in AWS)
ml-train: $(ML_STAMP) services
	cd ml_container && ../$(ML_PY) -m huglu_ml.trainer --tenant "$(TENANT)"

## make test-localstack: the AWS-facing tests (S3, SQS, SNS, SES through boto3 and AWS_ENDPOINT_URL
## alone) against LocalStack's community runtime, started here without Docker and stopped after
## (make test runs them against the moto server)
LOCALSTACK_TESTS ?= tests/integration/test_queues_dead_letters.py tests/integration/test_queue_consumers.py \
	tests/integration/test_notifications.py tests/payments/test_card_data_never_kept.py \
	tests/e2e/test_media.py tests/e2e/test_invoices.py tests/e2e/test_returns.py tests/e2e/test_worker.py
test-localstack: $(STAMP) services
	bash infra/local/localstack.sh run -- $(PY) -m pytest -p no:randomly $(LOCALSTACK_TESTS)

## make redrive QUEUE=notifications [MAX=100] [DRY=1]: move dead-lettered messages back to their queue
redrive: $(STAMP)
	$(PY) -m infra.local.redrive "$(QUEUE)" $(if $(MAX),--max $(MAX)) $(if $(DRY),--dry-run)

## make fuzz: schemathesis over every operation as anonymous, customer and admin, 100 positive and
## 100 negative examples per operation (make test runs the same with 6)
fuzz: $(STAMP) services
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(PY) -m pytest tests/fuzz -p no:logging

bench: $(STAMP) $(ML_STAMP) services
	ML_PYTHON=$(abspath $(ML_PY)) $(PY) -m bench.run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

openapi: $(STAMP)
	$(PY) -m infra.openapi

package: $(STAMP)
	$(PY) -m infra.build --out dist

layer: $(STAMP)
	$(PY) -m infra.layer --out dist

migrate: $(STAMP) services
	$(PY) -c "from infra.migrations.runner import upgrade_to_head; upgrade_to_head()"

seed: $(STAMP) services
	$(PY) -m infra.local.seed_demo

## make tenant SLUG=kamp-dunyasi NAME="Kamp Dünyası" [ADMIN=admin@x.test]
tenant: $(STAMP) services
	$(PY) -m infra.local.tenants create --slug "$(SLUG)" --name "$(NAME)" $(if $(ADMIN),--admin-email "$(ADMIN)")

## make reconcile TENANT=kamp-dunyasi: prove the tenant's wallet ledger (exit 1 when an invariant is broken)
reconcile: $(STAMP) services
	$(PY) -m infra.local.reconcile --tenant "$(TENANT)"

## make backup: a full backup of DATABASE_URL's database (and the media buckets) to the backup bucket
backup: $(STAMP) services
	$(PY) -m chalicelib.backups.cli backup

## make restore BACKUP=<id> [TARGET_DB=name]: restore a backup (over the live database only after typing its name)
restore: $(STAMP) services
	$(PY) -m chalicelib.backups.cli restore "$(BACKUP)" $(if $(TARGET_DB),--target-db "$(TARGET_DB)")

## make verify-backup BACKUP=<id>: restore into a scratch database and compare counts and checksums (exit 1 on a mismatch)
verify-backup: $(STAMP) services
	$(PY) -m chalicelib.backups.cli verify "$(BACKUP)"

## make tenant-export TENANT=slug: one shop's rows alone (KVKK data portability)
tenant-export: $(STAMP) services
	$(PY) -m chalicelib.backups.cli tenant-export "$(TENANT)"

## make tenant-restore TENANT=slug|id TARGET_DB=name [BACKUP=<id>]: a shop's export into a database without it
tenant-restore: $(STAMP) services
	$(PY) -m chalicelib.backups.cli tenant-restore "$(TENANT)" --target-db "$(TARGET_DB)" $(if $(BACKUP),--backup "$(BACKUP)")

worker: $(STAMP)
	$(PY) -m infra.local.worker

clean:
	rm -rf dist .pytest_cache .mypy_cache .ruff_cache ml_container/.ruff_cache
