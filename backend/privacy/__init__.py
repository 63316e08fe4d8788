"""A person's data over time (issue 19, PIPL): their own copy (export), the purge of sensitive
records after a student left (purge). Stands above every domain: it reads what each one holds
about a person, and nothing imports it but the HTTP layer and the housekeeping job."""
