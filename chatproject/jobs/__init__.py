"""Background jobs of an account (the account export, the conversation import), on one machinery.

- `models`: the status every job row carries (`Job`, an abstract model each kind inherits);
- `selectors`: a job's status as people see it (a running one whose worker went silent is failed),
  the one in progress, whether a user has one running;
- `services`: start (one at a time per user), the worker's run (QUEUED to RUNNING, deferred while
  its owner has another running, under the limits), the progress report, and `JobGone`;
- `api`: the detail view both kinds' pages poll;
- `limits`: the child process each job runs in, under limits it cannot lift.

A kind of job names its model, task and work in a `services.JobKind`. This package imports no app:
the apps above it (accounts, imports, account_data) build on it.
"""
