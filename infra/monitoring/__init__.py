"""Monitoring declared beside what it watches, in the manner of cdk-monitoring-constructs' per-resource monitors.

Each monitor module (http_api, counter, visits_table, notifier, probe) takes one kind of resource and defines, once,
its metrics, its alarms (AlarmSpec) and its dashboard widgets. The stack composes them; `alarms.AlarmSet` is the one
place that creates alarms and sets their actions; `dashboard.OperationsDashboard` lays the widgets out.
"""
