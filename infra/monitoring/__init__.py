"""Monitoring declared beside what it watches: one monitor per resource (its metrics, AlarmSpecs and widgets);
`alarms.AlarmSet` creates every alarm and sets its actions; `dashboard.OperationsDashboard` lays the widgets out."""
