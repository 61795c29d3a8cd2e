"""The static resume site: data, template, assets and the build step (see docs/frontend.md)."""
