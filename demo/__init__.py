"""Demo data to try the helpdesk out (`manage.py load_demo`).

The top floor: it fills every app (contacts, tickets, the knowledge base) through their actions, so nothing
below may import it. The data itself is in `demo/data.py`.
"""
