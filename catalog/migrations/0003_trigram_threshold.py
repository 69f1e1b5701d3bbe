from django.db import migrations

# `name <% term` (word similarity, served by the trigram GIN index) keeps matches above
# pg_trgm.word_similarity_threshold; the default 0.6 misses one-letter typos in short words
# ("hoodei" vs "hoodie" scores 0.57). Set it for the database (new connections) and this session.
THRESHOLD = "0.5"

FORWARD = f"""
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = {THRESHOLD}', current_database());
END $$;
SET pg_trgm.word_similarity_threshold = {THRESHOLD};
"""

BACKWARD = """
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I RESET pg_trgm.word_similarity_threshold', current_database());
END $$;
RESET pg_trgm.word_similarity_threshold;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_search_trigram"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
