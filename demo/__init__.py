"""Demo and load-test data: a whole franchise network with months of scored audits.

A Django app of its own, outside `audits`: it writes through the audits services' helpers
(the submission fingerprint, photo storage, the scoring engine's Score columns) like any other
client, and nothing in `audits` imports it. `manage.py seed_demo` is a thin wrapper around
:func:`demo.seed.seed_demo`. The pieces:

- `network`: the brand's regions, franchisees, branches and people, planned in memory;
- `visits`: who visits which branch when, and what they answer (a small statistical model:
  each branch has a true quality, each shopper a leniency);
- `pictures`: storefront and receipt photos drawn with Pillow;
- `bulk`: plain rows in with COPY (answers, scores) and historical times set after `bulk_create`;
- `seed`: writes it all in bulk, scores every audit with the real engine, and `--reset`.

Everything is drawn from one `random.Random(seed)`, so the same `--seed` (and sizes, on the
same day) gives the same network, answers and scores.
"""
