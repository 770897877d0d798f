-- PostgreSQL keeps each visitor's stamp card in a campaign (`stamp_cards`) so that a
-- check-in can count its stamp exactly in one statement without the visitor's lock. SQLite
-- has one writer: a check-in counts the distinct points from `checkins` inside its write
-- transaction, and needs no card. Nothing changes here; the folder keeps both backends'
-- migrations in step.
SELECT 1;
