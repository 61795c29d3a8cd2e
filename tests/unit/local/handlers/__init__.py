"""Stand-in Lambda handlers for the local runtime's tests: first and second report the environment they saw
(test_runtime.py); stream_recorder stands in for a DynamoDB stream's function (test_streams.py)."""
