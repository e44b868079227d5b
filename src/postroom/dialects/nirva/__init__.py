"""The Nirva / PostGreen dialect: authentication, options, jobs from files in a service's
boxes, pack groups, delivery commands and tracking proofs at /nirva, as a translation onto
the core (seed 000). See docs/dialects/nirva.md."""
