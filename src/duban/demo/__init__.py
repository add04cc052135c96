"""Deterministic demo campaigns shaped on the seeds (district 洮北, city 临汾, province).

Each app declares its builder on its AppConfig (``demo_builders``, with the builders it runs
after); a builder takes the DemoContext, adds its data and may leave things on the context
for later builders (e.g. the ledger leaves problems for the triage builder).
"""
