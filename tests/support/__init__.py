"""Code the tests share: import it from here, never from a conftest.py or another test module.

- ``config``: the test app's settings (``TEST_CONFIG``) and whether we run under CI;
  ``paths``: where the banks, pages and fixture files are.
- ``postgres``: the one way to get a PostgreSQL database of one's own, and to cut it off.
- ``factories``: model rows (users, courses, banks, questions, quizzes); ``specs``: one
  question spec of each type; ``quiz_setup``: a course, a student and a quiz of every type.
- ``attempt_data``, ``class_data``, ``example_quiz``: attempts and classes made with the models,
  for marking, dashboards and exports.
- ``library``: the shipped question banks, row snapshots, the library's versions, exclusions
  and lint ignores (``library_state``), an editable copy of the every-type bank;
  ``bank_text``: banks as YAML text;
  ``web``: request helpers (a session-syncing client, CSRF tokens, multipart uploads).
- Live servers: ``browser`` (a threaded werkzeug server and Chromium helpers; ``student_pages``
  for the student's pages at phone and desktop widths), ``gunicorn``
  (real worker processes), ``deployment`` (data made in-process, then served), ``mail`` (an
  SMTP mailbox), ``lti_platform`` (an LTI 1.3 platform).
- ``route_walk``: who may use each route, and a world with one of everything to walk them.
- ``lms_import``: how Canvas and Moodle read our CSV files.

Fixtures stay in the conftest.py files (tests/conftest.py for the whole suite).
"""
