"""Milepost's own e-mail: messages to approvers and the bookkeeper, and the SMTP that sends them.

`messages` turns an outbox row's facts into a message with a plain-text and an HTML part;
`smtp` sends it with `[mail]`'s server, TLS mode and credentials. Neither touches the
database: `store.mail_outbox` queues, `jobs.mail` sends and records.
"""
