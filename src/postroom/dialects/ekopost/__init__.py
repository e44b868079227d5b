"""The Ekopost dialect: Ekopost's campaign / envelope / content REST API at /ekopost, as a
translation onto the core (seed 004). See docs/dialects/ekopost.md."""
