-- 0004: a bigram index for 2-character searches (common in Chinese:
-- 停水, 电梯), which the trigram index cannot answer. Each row holds the
-- text as space-separated overlapping pairs of characters, made by the
-- linli_bigrams() SQL function the gateway registers.
CREATE VIRTUAL TABLE search_bi USING fts5 (
  text, community_id UNINDEXED, thread_id UNINDEXED, post_id UNINDEXED,
  tokenize = 'unicode61'
);
INSERT INTO search_bi (text, community_id, thread_id, post_id)
  SELECT linli_bigrams(text), community_id, thread_id, post_id FROM search_fts;
