"""Publishes the static site at deploy time: a CloudFormation custom resource handler (CDK Provider framework).

Amplify Hosting mode: sets the app's custom headers and deploys the staged site (Amplify StartDeployment from
an S3 bucket prefix), waiting for the job to finish. CloudFront mode: puts the API's origin into the response
headers policy's Content-Security-Policy. Both exist because the API's CORS names the site's origin and the
site's CSP names the API's origin: CloudFormation cannot resolve that cycle, so one side is written here.
See docs/hosting.md.
"""
