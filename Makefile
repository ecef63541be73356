# Huğlu Commerce — local commands.  Every target works on a fresh machine: it builds the
# virtualenv first when needed.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: dev test fuzz bench lint openapi package layer migrate seed tenant reconcile worker services clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q "pip<26.3"  # chalice 1.34 pins pip below 26.3
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

services:
	@bash infra/local/services.sh

## make dev: the whole local stack (MariaDB/Redis, migrations, demo data, moto, iyzico sandbox on :8767, API on :8000, worker)
dev: $(STAMP) services
	$(PY) -m infra.local.dev

## make test: the whole suite against the real MariaDB and Redis on this machine
test: $(STAMP) services
	$(PY) -m pytest

## make fuzz: schemathesis over every operation as anonymous, customer and admin, 100 positive and
## 100 negative examples per operation (make test runs the same with 6)
fuzz: $(STAMP) services
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(PY) -m pytest tests/fuzz -p no:logging

bench: $(STAMP) services
	$(PY) -m bench.run

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

worker: $(STAMP)
	$(PY) -m infra.local.worker

clean:
	rm -rf dist .pytest_cache .mypy_cache .ruff_cache
