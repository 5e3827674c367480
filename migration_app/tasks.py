"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker).

Each task is one line calling a service, with JSON-safe arguments.
"""
