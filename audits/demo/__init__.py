"""Demo and load-test data: a whole franchise network with months of scored audits.

`manage.py seed_demo` is a thin wrapper around :func:`audits.demo.seed.seed_demo`. The pieces:

- `network`: the brand's regions, franchisees, branches and people, planned in memory;
- `visits`: who visits which branch when, and what they answer (a small statistical model:
  each branch has a true quality, each shopper a leniency);
- `pictures`: storefront and receipt photos drawn with Pillow;
- `seed`: writes it all in bulk, scores every audit with the real engine, and `--reset`.

Everything is drawn from one `random.Random(seed)`, so the same `--seed` (and sizes, on the
same day) gives the same network, answers and scores.
"""
