"""Publishes the static site at deploy time (a CloudFormation custom resource): the API's CORS names the site and
the site's CSP names the API, a cycle CloudFormation cannot resolve, so one side is written here (docs/hosting.md).
"""
