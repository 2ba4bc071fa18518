"""articles: where editors write, revise and publish; owns the articles database and the outbox."""
