"""`make cost`: what the stack costs a month, computed from its synthesized template, a run of the real counter on
the local emulator, and one dated price file (prices.json). `python -m tools.cost [--json]`; docs/cost.md."""
