"""`make preflight`: read-only checks that an account and cdk.json's config are ready for `cdk deploy`
(docs/deploy.md, "make preflight"): the checks by what they look at, their order in runner.py."""
