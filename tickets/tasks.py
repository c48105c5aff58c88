"""Celery beat tasks of tickets: thin wrappers over tickets.escalation, tickets.actions and tickets.notices."""

from celery import shared_task

from tickets import actions, escalation, notices


@shared_task(ignore_result=True)
def escalate_sla() -> int:
    return escalation.escalate()


@shared_task(ignore_result=True)
def return_tickets_of_absent_staff() -> int:
    return actions.return_tickets_of_absent_staff()


@shared_task(ignore_result=True)
def assign_waiting_tickets() -> int:
    return actions.assign_waiting_tickets()


@shared_task(ignore_result=True)
def send_daily_digests() -> int:
    return notices.send_daily_digests()


@shared_task(ignore_result=True)
def close_resolved_tickets() -> int:
    return actions.close_resolved_tickets()
