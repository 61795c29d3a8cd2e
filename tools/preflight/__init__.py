"""`make preflight`: read-only AWS checks that an account and cdk.json's config are ready for `cdk deploy`
(docs/deploy.md, "make preflight", says what each line means and the exit statuses). core.py holds findings, checks,
clients and the per-check error handling; account, resources, ses and existing the checks, by what they look at;
runner.py their order and the lookup role; docs.py the generated table.
"""
