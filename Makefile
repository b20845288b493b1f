# Thin wrappers over dev.py, which needs only Python (make is optional). `make` lists the targets.
.DEFAULT_GOAL := help
.PHONY: help demo test lint drift bench soak

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

demo: ## start the product on SQLite with demo data and the WeChat sandbox
	python3 dev.py demo

test: ## lint, type-check, drift-check and run the whole test suite
	python3 dev.py test

lint: ## ruff, mypy and the import contracts
	python3 dev.py lint

drift: ## fail if models and migrations differ
	python3 dev.py drift

bench: ## place-and-pay benchmark: app under gunicorn vs. pgbench
	python3 dev.py bench

soak: ## the stateful property test at length (10000 random sale sequences)
	python3 dev.py soak
