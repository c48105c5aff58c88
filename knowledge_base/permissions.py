"""Who may edit the knowledge base (reading follows knowledge_base.search.visibilities_for)."""

from helpdesk import access
from helpdesk.models import Role


def can_edit(user) -> bool:
    return access.is_staff_member(user) and (user.is_superuser or user.role in (Role.KB_EDITOR, Role.ADMIN))
