"""The detail view every kind of job shares: a page follows its job by it while its socket is down."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.jobs.models import Job
from chatproject.jobs.selectors import job_get


# One of the user's jobs of `model`, as `state(job)` shows it through `output_serializer` (404 for
# another user's or a malformed id); the route's one argument is the job's id. (A comment, not a
# docstring: the schema would show it as each kind's description.)
class JobDetailApi(APIView):
    throttle_scope = "api_read"
    model: type[Job]
    output_serializer: type[serializers.Serializer]

    def state(self, job: Job) -> dict:
        raise NotImplementedError

    def get(self, request: Request, **route) -> Response:
        (job_id,) = route.values()
        job = job_get(model=self.model, user=request.user, job_id=job_id)
        return Response(self.output_serializer(self.state(job)).data)
