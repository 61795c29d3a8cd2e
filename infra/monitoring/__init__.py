"""Monitoring declared beside what it watches, in the manner of cdk-monitoring-constructs' per-resource monitors.

Each monitor module takes one kind of resource and defines, once, the metrics it reads (namespace, name,
dimensions, statistic, period), the alarms on them (AlarmSpec: id, threshold, what to do, where it goes) and the
dashboard widgets that show them. The stack composes the monitors; `alarms.AlarmSet` is the one place that creates
alarms and sets their actions; `dashboard.OperationsDashboard` lays the widgets out. The local evaluator reads the
alarms from the synthesized template, and docs/alerting.md's table is generated from the same specs.

| module | watches |
| --- | --- |
| `http_api.py` | the HTTP API: requests, 4xx/5xx, latency |
| `counter.py` | the counter Lambda: invocations, errors, throttles, duration, its EMF metrics, cold starts |
| `visits_table.py` | the visits table: throttled and failed requests, capacity |
| `notifier.py` | the alerting path itself: notifier errors, dead letters, SNS delivery failures |
| `probe.py` | the site from outside: the availability probe's failed checks (site-unavailable) |
"""
