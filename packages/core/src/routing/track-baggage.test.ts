import { describe, expect, it } from 'vitest';
import { baggageWithTrack, trackFromBaggage } from './track-baggage.js';

describe('trackFromBaggage', () => {
  it('reads the track among other members and properties', () => {
    expect(trackFromBaggage('userId=7,switchyard.track=canary;ttl=3')).toBe('canary');
    expect(trackFromBaggage(['a=1', 'switchyard.track=b'])).toBe('b');
    expect(trackFromBaggage('switchyard.track=team%2Dx')).toBe('team-x');
  });

  it('ignores a missing, malformed or undecodable track instead of throwing', () => {
    expect(trackFromBaggage(undefined)).toBeUndefined();
    expect(trackFromBaggage('switchyard.trackless=1')).toBeUndefined();
    expect(trackFromBaggage('switchyard.track=has space')).toBeUndefined();
    expect(trackFromBaggage(`switchyard.track=${'x'.repeat(65)}`)).toBeUndefined();
    // decodeURIComponent throws URIError on these: a request header must not be able to crash a server.
    for (const bad of ['%', '%zz', '%E0%A4%A', 'a%']) {
      expect(trackFromBaggage(`switchyard.track=${bad}`)).toBeUndefined();
    }
  });
});

describe('baggageWithTrack', () => {
  it('replaces an existing track and keeps the other members', () => {
    expect(baggageWithTrack('a=1, switchyard.track=old', 'new')).toBe('a=1,switchyard.track=new');
    expect(trackFromBaggage(baggageWithTrack(undefined, 'canary'))).toBe('canary');
  });
});
