"""Operations the reference SDK calls that the spec file lacks, written by hand as data.

From ``@clerk/backend`` (``EmailApi``, ``InvitationApi``): transactional emails (``/email``,
its ``Idempotency-Key`` header honoured, a batch of 1-100 messages each with its own key)
and deleting an invitation. The generator renders their façade methods like the spec's.
"""

from __future__ import annotations

from .operation import Operation
from .operation import Param as P

__all__ = ["EXTRA_OPERATIONS"]

CREATE_EMAIL = Operation(
    id="CreateEmail",
    group="emails",
    name="create",
    method="POST",
    path="/email",
    params=(
        P("to", "to", "body", "object", True),
        P("from", "from_", "body", "object", True),
        P("subject", "subject", "body", "str", True),
        P("html", "html", "body", "str"),
        P("text", "text", "body", "str"),
        P("reply_to", "reply_to", "body", "object"),
    ),
    body="json",
    response="Email",
    retry="idempotency-key",
    idempotency_header=True,
    summary="Send a transactional email (experimental in the reference)",
)

CREATE_EMAIL_BATCH = Operation(
    id="CreateEmailBatch",
    group="emails",
    name="create_batch",
    method="POST",
    path="/email/batch",
    params=(P("messages", "messages", "body", "array", True),),
    body="json",
    response="EmailBatchResult",
    shape="list",
    retry="if-not-sent",
    summary="Send 1 to 100 transactional emails, one result per message (experimental in the reference)",
)

GET_EMAIL = Operation(
    id="GetEmail",
    group="emails",
    name="get",
    method="GET",
    path="/email/{email_id}",
    params=(P("email_id", "email_id", "path", "str", True),),
    response="Email",
    summary="Retrieve a transactional email and its send status",
)

DELETE_INVITATION = Operation(
    id="DeleteInvitation",
    group="invitations",
    name="delete",
    method="DELETE",
    path="/invitations/{invitation_id}",
    params=(P("invitation_id", "invitation_id", "path", "str", True),),
    response="DeletedObject",
    summary="Delete an invitation",
)

#: Every hand-written operation.
EXTRA_OPERATIONS: tuple[Operation, ...] = (CREATE_EMAIL, CREATE_EMAIL_BATCH, GET_EMAIL, DELETE_INVITATION)
