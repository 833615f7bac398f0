"""The tools that build and audit the course, behind the ``optim-course`` command: `cli` (the
command), `titles` (title-cell parsing), `student` (the student edition's stubs), `site` (pages,
slides, the index page and the offline assets), `build` (the whole ``_build/`` tree) and `audit`
(the house rules ``optim-course check`` enforces). ``import course_utils`` does not import them.
"""
