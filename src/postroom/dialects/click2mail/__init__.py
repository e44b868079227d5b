"""Click2Mail's molpro REST API (seed 001, "Create a Job") at /molpro: documents, address
lists and jobs with integer ids, Basic auth, form bodies, XML answers. Mapping tables and
choices: docs/dialects/click2mail.md."""
