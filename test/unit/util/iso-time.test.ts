/** ISO 8601 date-times read from input: impossible days named, not rolled over into the next month. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dayExists, impossibleDay, parseIsoTime } from '../../../src/util/iso-time.js';

describe('ISO 8601 date-times', () => {
  it('names the days a month does not have, leap years counted', () => {
    assert.equal(impossibleDay('2026-11-31T00:00:00Z'), 'November 2026 has 30 days');
    assert.equal(impossibleDay('2026-02-29'), 'February 2026 has 28 days');
    assert.equal(impossibleDay('2100-02-29'), 'February 2100 has 28 days'); // a century not divisible by 400
    assert.equal(impossibleDay('2000-02-29'), undefined);
    assert.equal(impossibleDay('2028-02-29T23:59:59Z'), undefined);
    assert.equal(impossibleDay('2026-12-00'), 'December 2026 has 31 days');
    assert.equal(impossibleDay('2026-00-10'), 'there is no month 00');
    assert.equal(impossibleDay('2026-12-31'), undefined);
    assert.equal(impossibleDay('not a date'), undefined); // no date part: nothing to say here
    assert.equal(dayExists('2026-04-31'), false);
    assert.equal(dayExists('2026-04-30'), true);
  });

  it('parses ISO 8601 date-times (UTC without a zone), and says why it refuses the rest', () => {
    assert.equal(parseIsoTime('2026-11-30T23:00:00Z'), Date.UTC(2026, 10, 30, 23));
    assert.equal(parseIsoTime('2026-11-30T23:00:00.500+01:00'), Date.UTC(2026, 10, 30, 22, 0, 0, 500));
    // no zone: UTC, whatever the machine's zone
    assert.equal(parseIsoTime('2026-11-01T00:00:00'), Date.UTC(2026, 10, 1));
    assert.equal(parseIsoTime('2026-11-01 00:00:00.25'), Date.UTC(2026, 10, 1, 0, 0, 0, 250));
    // other notations are refused on purpose (ISO 8601 / RFC 3339 by the formats' specifications)
    assert.deepEqual(parseIsoTime('Sun, 01 Nov 2026 00:00:00 GMT'), { problem: 'not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)' });
    // Date.parse itself would give December 1st for both
    assert.equal(Date.parse('2026-11-31T00:00:00Z'), Date.UTC(2026, 11, 1));
    assert.deepEqual(parseIsoTime('2026-11-31T00:00:00Z'), { problem: 'no day of the calendar (November 2026 has 30 days)' });
    assert.deepEqual(parseIsoTime('Nov 31 2026'), { problem: 'not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)' });
    assert.deepEqual(parseIsoTime('2026-11-30T25:00:00Z'), { problem: 'not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)' });
  });
});
