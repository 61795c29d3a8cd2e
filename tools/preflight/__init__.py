"""`make preflight`: read-only AWS checks that an account and cdk.json's config are ready for the first (or
next) `cdk deploy`. One line per check: PASS, WARN or FAIL, what was checked and, when not a pass, the exact
command or console step that fixes it. Exit status 1 when a check found something that would make the deploy
fail, 2 when the config is invalid, else 0.

- core.py: findings, checks, the AWS client factory (boto3's credential chain and AWS_ENDPOINT_URL) and the
  per-check error handling (a refused call is a warning naming the IAM action; another AWS error a warning);
- account.py, resources.py, ses.py, existing.py: the checks, grouped by what they look at;
- runner.py: the order, the bootstrap version the synthesized app requires, the optional lookup role;
- docs.py: the table in docs/deploy.md, rendered from the checks' findings (`python -m tools.docs_gen`).
"""
