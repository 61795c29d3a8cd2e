"""What the CDK app synthesizes (the cloud assembly), read back: `synthesize` runs the app, `LocalTemplate`
reads its template with every resource named by its logical id.

Shared by the local runtime (infra/local/), the dashboard tooling (dashboards/) and the tests. It imports nothing
of the project: the app runs in a child process (`python -m infra.app`), so reading a template ties neither
infra/ to dashboards/ nor dashboards/ to infra/ (tests/unit/test_code_shape.py keeps the folder graph acyclic).
"""
