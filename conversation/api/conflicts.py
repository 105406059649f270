"""The conversation API's 409s: a reply still being written, a session id that is not the caller's
to take."""

from rest_framework import status
from rest_framework.exceptions import APIException


class ReplyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A reply is still being written in this session: wait for it to end, or stop it, then send."
    default_code = "reply_in_progress"


class SessionIdConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "session_id_taken"
