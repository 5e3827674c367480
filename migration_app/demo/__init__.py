"""The demo data set of `manage.py seed_demo`."""

from migration_app.demo.seed import DemoSeedResult, demo_seed

__all__ = ["DemoSeedResult", "demo_seed"]
