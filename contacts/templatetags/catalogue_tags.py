"""`{% catalogue_notice %}`: on the admin index, how many forms of the public catalogue still lack a confirmed
title, who submits, source or deadline, with a link to the list (for those who may edit the catalogue)."""

from django import template
from django.utils import timezone

from contacts import catalogue

register = template.Library()


@register.inclusion_tag("admin/contacts/_catalogue_notice.html", takes_context=True)
def catalogue_notice(context):
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.has_perm("contacts.change_statisticalform"):
        return {"count": 0}
    return {"count": len(catalogue.gaps(timezone.localdate()))}
