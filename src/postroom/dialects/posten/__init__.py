"""The Posten/Bring dialect: Parcel Register Event (seed 002), one event registered against
a parcel, and its event log. Mapping tables and choices: docs/dialects/posten.md."""
