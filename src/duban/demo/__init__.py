"""Deterministic demo campaigns shaped on the seeds (district 洮北, city 临汾, province).

Each domain plugs its own builder into BUILDERS; a builder takes the DemoContext, adds
its data and may leave things on the context for later builders (e.g. the ledger leaves
problems for the triage builder). Builders for apps that do not exist yet are skipped.
"""
