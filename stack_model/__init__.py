"""The synthesized stack, read: one typed model of the application stack's template that the tools (tools/) and the
tests share. `StackModel.from_template` (stack.py) reads each resource type once (functions.py, iam.py, alarms.py,
schedules.py, api.py, storage.py, messaging.py), references resolved once (template.py). It imports nothing of the
project, so reading a template ties no tool to the CDK app, and it is the only code that indexes a template's
resources (tests/unit/test_code_shape.py)."""
