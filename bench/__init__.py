"""`make bench`: warm, in-process latency of the real Lambda handlers plus cold-start import cost.

    python -m bench.run [--quick] [--only NAME] [--no-coldstart]

Modules here import only the standard library at top level: the harness sets DATABASE_URL and
friends before the application is imported, and `bench.coldstart` children must not pay for
anything but the function they measure.  New cases go into the registry in `bench/cases.py`.
"""
