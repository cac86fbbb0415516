import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToText } from '../../src/providers/path-bytes.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { providerHashOf } from '../../src/providers/webdav/checksums.ts';
import { webdavProvider } from '../../src/providers/webdav/index.ts';
import { decodeSegment, encodeSegment, hrefSegments, normalizeRootUrl, segmentsBelow } from '../../src/providers/webdav/location.ts';

function refused(input: string, pattern: RegExp): void {
  assert.throws(
    () => normalizeRootUrl(input),
    (err: unknown) => err instanceof ProviderError && err.kind === 'invalid' && pattern.test(err.message),
    input,
  );
}

test('a root URL is stored in one spelling: scheme, host, port, path and trailing slash', () => {
  const cases: [string, string][] = [
    ['webdav://nas.local/music', 'http://nas.local/music/'],
    ['webdavs://cloud.example.com/remote.php/dav/files/ann/Music/', 'https://cloud.example.com/remote.php/dav/files/ann/Music/'],
    ['dav://nas/music', 'http://nas/music/'],
    ['davs://nas/music', 'https://nas/music/'],
    ['HTTP://NAS.Local:80/music', 'http://nas.local/music/'],
    ['https://nas:443/music', 'https://nas/music/'],
    ['https://nas:8443/music', 'https://nas:8443/music/'],
    ['webdav://nas:8080', 'http://nas:8080/'],
    ['http://nas', 'http://nas/'],
    ['  http://nas/music//albums/  ', 'http://nas/music/albums/'],
    ['http://nas/a/./b/../c', 'http://nas/a/c/'],
    ['http://[::1]:8080/music', 'http://[::1]:8080/music/'],
    ['webdavs://[2001:DB8::1]/music', 'https://[2001:db8::1]/music/'],
    ['http://127.0.0.1:5005/music', 'http://127.0.0.1:5005/music/'],
    // The same folder however its name is escaped.
    ['http://nas/My Music/Ünï', 'http://nas/My%20Music/%C3%9Cn%C3%AF/'],
    ['http://nas/My%20Music/%c3%9cn%c3%af/', 'http://nas/My%20Music/%C3%9Cn%C3%AF/'],
    ['http://nas/100%25%20live%23/', 'http://nas/100%25%20live%23/'],
    ['http://nas/a+b;c(1)', 'http://nas/a%2Bb%3Bc%281%29/'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(normalizeRootUrl(input), expected, input);
    assert.equal(normalizeRootUrl(expected), expected, `${expected} is already canonical`);
  }
});

test('credentials in the URL are refused in one line that does not repeat them', () => {
  for (const input of ['webdav://ann:s3cret@nas/music', 'https://ann@nas/music', 'http://:s3cret@nas/']) {
    assert.throws(
      () => normalizeRootUrl(input),
      (err: unknown) => {
        assert.ok(err instanceof ProviderError && err.kind === 'invalid');
        assert.match(err.message, /MUSIC_SYNC_WEBDAV_USER and MUSIC_SYNC_WEBDAV_PASSWORD or a prompt, never the URL/);
        assert.doesNotMatch(err.message, /s3cret|ann/);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  }
  // Even a URL the parser rejects is shown without its user part.
  assert.throws(
    () => normalizeRootUrl('http://ann:s3cret@nas:99999/music'),
    (err: unknown) => err instanceof ProviderError && err.kind === 'invalid' && !/s3cret|ann/.test(err.message),
  );
});

test('what is not a WebDAV folder URL is refused with a clear message', () => {
  refused('/home/ann/music', /not a WebDAV folder URL/);
  refused('ftp://nas/music', /not a WebDAV folder URL/);
  refused('s3://bucket/music', /not a WebDAV folder URL/);
  refused('http://', /not a WebDAV folder URL/);
  refused('http://nas/music?x=1', /query or fragment.*%3F or %23/);
  refused('http://nas/music#top', /query or fragment/);
  refused('http://nas/a%2Fb/', /cannot be part of a path/);
});

test('hrefs decode to the same names whatever their spelling', () => {
  const expected = ['music', 'A b', 'Ünï %#', 't#1%.flac'];
  for (const href of [
    '/music/A%20b/%C3%9Cn%C3%AF%20%25%23/t%231%25.flac',
    '/music/A b/Ünï %25%23/t%231%25.flac',
    '/music/A%20b/%c3%9cn%c3%af%20%25%23/t%231%25.flac',
    'http://nas:8080/music/A%20b/%C3%9Cn%C3%AF%20%25%23/t%231%25.flac',
    'https://[::1]/music/A%20b/%C3%9Cn%C3%AF%20%25%23/t%231%25.flac',
  ]) {
    assert.deepEqual(hrefSegments(href), expected, href);
  }
  assert.deepEqual(hrefSegments('/music/A%20b/'), ['music', 'A b'], 'a trailing slash names the same folder');
  assert.deepEqual(hrefSegments('/music/A%20b'), ['music', 'A b']);
  assert.deepEqual(hrefSegments('/'), []);
  // A `%` that starts no escape is itself (servers that do not escape it).
  assert.deepEqual(hrefSegments('/100%/50%zz'), ['100%', '50%zz']);
});

test('names that are not UTF-8 keep their bytes, so they open again', () => {
  const latin1 = Buffer.from([0x42, 0x65, 0x79, 0x6f, 0x6e, 0x63, 0xe9]); // "Beyoncé" in Latin-1
  const name = decodeSegment('Beyonc%E9');
  assert.equal(name, bytesToText(latin1));
  assert.equal(encodeSegment(name), 'Beyonc%E9');
  for (const text of ['a b', 'Ünï %#', 't#1%.flac', '100% ~x_y-z.mp3', '日本語', '🎵']) {
    assert.equal(decodeSegment(encodeSegment(text)), text, text);
    assert.match(encodeSegment(text), /^[A-Za-z0-9\-._~%]+$/);
  }
});

test('a path is below a folder by its decoded names, in either Unicode form', () => {
  assert.deepEqual(segmentsBelow(['music'], ['music', 'a', 'b.mp3']), ['a', 'b.mp3']);
  assert.equal(segmentsBelow(['music'], ['music']), undefined);
  assert.equal(segmentsBelow(['music'], ['other', 'a.mp3']), undefined);
  const composed = 'Ünï';
  const decomposed = composed.normalize('NFD');
  assert.notEqual(composed, decomposed);
  assert.deepEqual(segmentsBelow(['music', composed], ['music', decomposed, 'x.mp3']), ['x.mp3']);
});

test('a profile stores the canonical root and only known, checked settings', async () => {
  assert.deepEqual(await webdavProvider.normalizeProfile({ root: 'webdav://nas/music', settings: {} }), { root: 'http://nas/music/', settings: {} });
  assert.deepEqual(await webdavProvider.normalizeProfile({ root: 'webdavs://nas/music', settings: { maxConnections: 4 } }), {
    root: 'https://nas/music/',
    settings: { maxConnections: 4 },
  });
  for (const settings of [{ maxConnections: 0 }, { maxConnections: 2.5 }, { maxConnections: '4' }, { maxConnections: 1000 }, { endpoint: 'x' }]) {
    await assert.rejects(
      webdavProvider.normalizeProfile({ root: 'webdav://nas/music', settings }),
      (err: unknown) => err instanceof ProviderError && err.kind === 'invalid',
      JSON.stringify(settings),
    );
  }
  assert.deepEqual(webdavProvider.secretNames, ['username', 'password']);
});

test('the provider hash is the stated MD5, else the SHA-1, never anything else', () => {
  const md5 = '5d41402abc4b2a76b9719d911017c592';
  const sha1 = 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d';
  assert.equal(providerHashOf(`SHA1:${sha1} MD5:${md5.toUpperCase()} ADLER32:062c0215`), `md5:${md5}`);
  assert.equal(providerHashOf(`SHA1:${sha1}`), `sha1:${sha1}`);
  assert.equal(providerHashOf('ADLER32:062c0215'), null);
  assert.equal(providerHashOf('MD5:xyz'), null, 'not a hex digest');
  assert.equal(providerHashOf(null), null);
});
