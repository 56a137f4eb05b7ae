-- 0004 (PostgreSQL): nothing to do. SQLite's bigram index arrived here;
-- PostgreSQL's (search_docs.bigrams) came with 0003, since no PostgreSQL
-- database predates it.
SELECT 1;
