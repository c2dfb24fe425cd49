"""Monitoring: what produced each answer, and the figures an admin watches over time.

Every question asked through `backend.answer_service.AnswerService.ask` leaves one record
(`runs.AnswerRun`): who asked through which door, how it ended (`outcome`), the model
and its digest, the prompt's version (`prompt_version`), the knowledge version, the
schema and retrieval modes, tries, timings and tokens. The records live in the app
database (`store.RunStore`); `figures` turns them, with the thumbs up and down, into the
numbers the monitoring page draws (`charts`).
"""
