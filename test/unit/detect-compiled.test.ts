/** Go, Rust, Java, Ruby, static sites and the generic fallback. */
import { describe, expect, it } from 'vitest';
import { decided, fixture, plan, text, usageError } from '../support/project-plans.js';
import { memoryProjectFiles } from '../../src/detect/project-files.js';


describe('Go', () => {
  it('go.mod + go.sum → module download layer, static binary, distroless final stage', () => {
    const p = plan(fixture('go-service'));
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Go 1.22', file: 'go.mod:3' });
    expect(text(p)).toContain('FROM golang:1.22-bookworm AS build');
    expect(text(p)).toContain('COPY go.mod go.sum ./\nRUN go mod download\n');
    expect(text(p)).toContain('RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hello-svc .');
    expect(p.build).toMatchObject({ baseImage: 'gcr.io/distroless/static-debian12:nonroot', images: ['golang:1.22-bookworm', 'gcr.io/distroless/static-debian12:nonroot'] });
    expect(text(p)).toContain('COPY --from=build /out/hello-svc /app/hello-svc');
    // main.go reads PORT with ":8081" as its default: the Dockerfile sets PORT so --port moves it.
    expect(text(p)).toContain('ENV PORT=8081\nEXPOSE 8081');
    expect(text(p)).toMatch(/CMD \["\/app\/hello-svc"\]\n$/);
  });

  it('several programs under cmd/: an error listing them; --app picks one', () => {
    const error = usageError(() => plan(fixture('go-multi-cmd')));
    expect(error.message).toBe('go.mod: several programs in the module; pack will not guess');
    expect(error.hint).toContain('--app DIR (e.g. --app cmd/api)');
    expect(error.hint).toContain('- ./cmd/worker');
    const p = plan(fixture('go-multi-cmd'), { app: 'cmd/api' });
    expect(text(p)).toContain('go build -trimpath -ldflags="-s -w" -o /out/api ./cmd/api');
    // No requirements: nothing to download, and go.mod alone is not a dependency layer.
    expect(text(p)).not.toContain('go mod download');
  });

  it('--base replaces the final stage only', () => {
    const p = plan(fixture('go-service'), { base: 'busybox:local' });
    expect(p.build.images).toEqual(['golang:1.22-bookworm', 'busybox:local']);
    expect(decided(p, 'baseImage')).toMatchObject({ source: 'flag', over: ['gcr.io/distroless/static-debian12:nonroot'] });
  });
});

describe('Rust', () => {
  it('dependencies built against stubs with only Cargo.toml and Cargo.lock, then the crate, sources touched', () => {
    const p = plan(fixture('rust-app'));
    expect(text(p)).toContain('COPY Cargo.toml Cargo.lock ./\nRUN mkdir -p src \\\n && touch src/lib.rs \\\n && echo \'fn main() {}\' > src/main.rs \\\n && cargo build --release --locked \\\n && rm src/lib.rs src/main.rs\n');
    expect(text(p)).toContain('RUN touch src/lib.rs src/main.rs && cargo build --release --locked --bin hello-rs');
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Rust 1.80' });
    expect(p.build.baseImage).toBe('gcr.io/distroless/cc-debian12:nonroot');
    expect(decided(p, 'port').value).toBe(7878);
  });

  it('a crate linking OpenSSL gets its headers in the build and libssl3 at run time', () => {
    const p = plan(
      memoryProjectFiles({
        'Cargo.toml': '[package]\nname = "tls"\nversion = "0.1.0"\n',
        'Cargo.lock': 'version = 3\n\n[[package]]\nname = "openssl-sys"\nversion = "0.9.103"\n',
        'src/main.rs': 'fn main() {}\n',
      }),
    );
    expect(text(p)).toContain('apt-get install --yes --no-install-recommends pkg-config libssl-dev');
    expect(text(p)).toContain('apt-get install --yes --no-install-recommends libssl3 ca-certificates');
    expect(p.build.baseImage).toBe('debian:bookworm-slim');
  });

  it('several binaries without default-run: an error naming default-run', () => {
    const error = usageError(() =>
      plan(memoryProjectFiles({ 'Cargo.toml': '[package]\nname = "multi"\nversion = "0.1.0"\n', 'Cargo.lock': '', 'src/main.rs': '', 'src/bin/tool.rs': '' })),
    );
    expect(error.message).toMatch(/Cargo\.toml has several binaries: multi, tool/);
    expect(error.hint).toMatch(/default-run/);
  });
});

describe('Java', () => {
  it('Maven wrapper + Spring Boot: dependencies first, one runnable jar checked, JRE final image, port from application.properties', () => {
    const p = plan(fixture('java-maven'));
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Java 17', file: 'pom.xml:13' });
    expect(text(p)).toContain('FROM eclipse-temurin:17-jdk AS build');
    expect(text(p)).toContain('COPY mvnw pom.xml ./\nCOPY .mvn/ .mvn/\nRUN ./mvnw -B -q dependency:go-offline\n');
    expect(text(p)).toContain('expected one runnable jar (target/*.jar)');
    expect(p.build.baseImage).toBe('eclipse-temurin:17-jre');
    expect(text(p)).toContain('ENV SERVER_PORT=8085\nEXPOSE 8085');
  });

  it('Gradle wrapper with the application plugin → installDist and its start script', () => {
    const p = plan(fixture('java-gradle'));
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Java 21' });
    expect(text(p)).toContain('COPY gradlew build.gradle.kts settings.gradle.kts ./\nCOPY gradle/ gradle/\n');
    expect(text(p)).toContain('RUN ./gradlew --no-daemon installDist \\\n && mkdir -p /out && cp -R build/install/demo-cli/. /out/');
    expect(text(p)).toMatch(/CMD \["\/app\/bin\/demo-cli"\]\n$/);
  });
});

describe('Ruby', () => {
  it('Rails: Bundler from the lock, deployment install before the code, assets precompiled, writable dirs for the app user', () => {
    const p = plan(fixture('ruby-rails'));
    expect(decided(p, 'baseImage').value).toBe('ruby:3.3.5-slim-bookworm');
    expect(text(p)).toContain('RUN gem install bundler --version 2.5.18 --no-document');
    expect(text(p)).toContain('COPY Gemfile Gemfile.lock ./\nRUN BUNDLE_DEPLOYMENT=1 bundle install');
    expect(text(p)).toContain('RUN SECRET_KEY_BASE_DUMMY=1 ./bin/rails assets:precompile');
    expect(text(p)).toMatch(/CMD \["\.\/bin\/rails", "server", "--binding", "0\.0\.0\.0"\]\n$/);
  });

  it('rack with puma; a lock made only for macOS is flagged before bundle install fails on Linux', () => {
    const p = plan(fixture('ruby-rack'));
    expect(JSON.parse(/^CMD (.*)$/m.exec(text(p))?.[1] ?? '[]')).toEqual(['bundle', 'exec', 'puma', '--bind', 'tcp://0.0.0.0:9292']);
    expect(p.warnings.find((w) => w.code === 'lock-platforms')?.message).toBe(
      'Gemfile.lock lists only arm64-darwin-23: bundle install on Linux will fail; run `bundle lock --add-platform x86_64-linux`',
    );
    expect(JSON.parse(/^CMD (.*)$/m.exec(text(plan(fixture('ruby-rack'), { port: 8000 })))?.[1] ?? '[]')).toContain('tcp://0.0.0.0:8000');
  });
});

describe('static sites and the generic fallback', () => {
  it('index.html alone → unprivileged nginx on 8080', () => {
    const p = plan(fixture('static-site'));
    expect(text(p)).toContain('COPY . /usr/share/nginx/html/');
    expect(text(p)).toContain('EXPOSE 8080');
    expect(text(p)).toContain('USER 101:101');
  });

  it('index.html next to package.json is the frontend\'s source, not a static site', () => {
    const p = plan(memoryProjectFiles({ 'package.json': JSON.stringify({ main: 'a.js' }), 'a.js': '', 'index.html': '' }));
    expect(decided(p, 'ecosystem')).toMatchObject({ value: 'node', over: [expect.stringMatching(/^static site \(index\.html\)/)] });
  });

  it('nothing recognised → copies the project, runs start.sh, and says what to fill in', () => {
    const p = plan(fixture('generic'));
    expect(p.ecosystem).toBe('generic');
    expect(text(p)).toContain('# TODO: install what the project needs here');
    expect(JSON.parse(/^CMD (.*)$/m.exec(text(p))?.[1] ?? '[]')).toEqual(['./start.sh']);
    expect(p.warnings.map((w) => w.code)).toContain('no-ecosystem');
  });
});
