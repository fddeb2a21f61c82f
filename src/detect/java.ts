/**
 * Java projects built with Maven (pom.xml) or Gradle (build.gradle[.kts]); the wrapper (mvnw,
 * gradlew) is used when committed, since it pins the build tool's version. Dependencies are resolved
 * in a layer of their own (Maven dependency:go-offline, Gradle dependencies) before the code is
 * copied. The runnable artifact: Spring Boot's executable jar, Gradle's `application` distribution,
 * a shaded/fat jar; a plain jar (no dependencies inside) is flagged. Java version: .java-version >
 * the build file (release/source, toolchain) > default 21.
 */
import { execCommand } from './command.js';
import type { Ambiguity, Detected, FactWarning, PortFact, StartFact } from './facts.js';
import { lineOf } from './manifest-parse.js';
import { isDir, isFile, joinPath, type ProjectFiles } from './project-files.js';
import { firstValueLine } from './runtime-version.js';

export type JavaBuildTool = 'maven' | 'gradle';

export interface JavaFacts {
  readonly ecosystem: 'java';
  readonly root: string;
  readonly markers: readonly string[];
  readonly tool: Detected<JavaBuildTool>;
  readonly wrapper: boolean;
  readonly javaVersion?: Detected<string>;
  /** Files copied before resolving dependencies, relative to `root` (directories end in `/`). */
  readonly manifests: readonly string[];
  readonly prefetch: Detected<string>;
  readonly packageCommand: Detected<string>;
  /** Shell glob(s) of the runnable artifact after packaging, relative to /app in the build stage. */
  readonly artifact: { readonly kind: 'jar'; readonly glob: string } | { readonly kind: 'distribution'; readonly dir: string; readonly name: string };
  readonly start?: StartFact;
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

export function javaMarkers(files: ProjectFiles, dir: string): string[] {
  return ['pom.xml', 'build.gradle', 'build.gradle.kts'].filter((name) => isFile(files, joinPath(dir, name))).map((name) => joinPath(dir, name));
}

function normaliseJava(version: string): string {
  return version.replace(/^1\.(\d)$/, '$1');
}

export function detectJava(files: ProjectFiles, root: string): JavaFacts | undefined {
  const markers = javaMarkers(files, root);
  const first = markers[0];
  if (!first) return undefined;
  const warnings: FactWarning[] = [];
  const at = (name: string): string => joinPath(root, name);
  const has = (name: string): boolean => isFile(files, at(name));
  const maven = first.endsWith('pom.xml');
  const buildFile = maven ? 'pom.xml' : has('build.gradle.kts') ? 'build.gradle.kts' : 'build.gradle';
  const buildText = files.read(at(buildFile)) ?? '';
  const tool: Detected<JavaBuildTool> = {
    value: maven ? 'maven' : 'gradle',
    reason: `${buildFile} found → ${maven ? 'Maven' : 'Gradle'}`,
    file: at(buildFile),
    ...(markers.length > 1 ? { over: markers.slice(1) } : {}),
  };
  const wrapper = maven ? has('mvnw') && isDir(files, at('.mvn/wrapper')) : has('gradlew') && isDir(files, at('gradle/wrapper'));

  // Java version.
  let javaVersion: Detected<string> | undefined;
  const javaVersionFile = files.read(at('.java-version'));
  const fileValue = javaVersionFile === undefined ? undefined : firstValueLine(javaVersionFile);
  if (fileValue) {
    const major = normaliseJava(fileValue.value.split(/[.+-]/).slice(0, fileValue.value.startsWith('1.') ? 2 : 1).join('.'));
    javaVersion = { value: major, reason: `.java-version ${JSON.stringify(fileValue.value)} → Java ${major}`, file: `${at('.java-version')}:${fileValue.line}` };
  } else {
    const patterns: Array<[RegExp, string]> = maven
      ? [
          [/<maven\.compiler\.release>\s*([\d.]+)\s*</, 'maven.compiler.release'],
          [/<java\.version>\s*([\d.]+)\s*</, 'java.version'],
          [/<release>\s*([\d.]+)\s*</, 'compiler <release>'],
          [/<maven\.compiler\.source>\s*([\d.]+)\s*</, 'maven.compiler.source'],
        ]
      : [
          [/JavaLanguageVersion\.of\(\s*(\d+)\s*\)/, 'toolchain languageVersion'],
          [/jvmToolchain\(\s*(\d+)\s*\)/, 'jvmToolchain'],
          [/JavaVersion\.VERSION_(\d+(?:_\d+)?)/, 'JavaVersion'],
          [/sourceCompatibility\s*=\s*['"]?([\d.]+)/, 'sourceCompatibility'],
        ];
    for (const [pattern, label] of patterns) {
      const match = pattern.exec(buildText);
      if (!match) continue;
      const value = normaliseJava((match[1] as string).replace('_', '.'));
      javaVersion = { value, reason: `${buildFile} ${label} ${match[1]} → Java ${value}`, file: `${at(buildFile)}:${lineOf(buildText, pattern) ?? 1}` };
      break;
    }
  }

  const springBoot = /spring-boot/.test(buildText);
  const manifests: string[] = [];
  let prefetch: Detected<string>;
  let packageCommand: Detected<string>;
  let artifact: JavaFacts['artifact'];
  if (maven) {
    const mvn = wrapper ? './mvnw' : 'mvn';
    if (wrapper) manifests.push('mvnw', '.mvn/');
    manifests.push('pom.xml');
    for (const module of [...buildText.matchAll(/<module>\s*([^<\s]+)\s*<\/module>/g)].map((m) => m[1] as string).sort()) {
      if (has(`${module}/pom.xml`)) manifests.push(`${module}/pom.xml`);
    }
    prefetch = { value: `${mvn} -B -q dependency:go-offline`, reason: `${wrapper ? 'mvnw (the project pins its Maven)' : 'Maven'}: resolve dependencies before the code is copied` };
    packageCommand = { value: `${mvn} -B -DskipTests package`, reason: 'package the application (tests belong in CI, not in the image build)' };
    artifact = { kind: 'jar', glob: manifests.some((m) => m.endsWith('/pom.xml') && m !== 'pom.xml') ? '*/target/*.jar target/*.jar' : 'target/*.jar' };
    if (!springBoot && !/maven-shade-plugin|maven-assembly-plugin/.test(buildText)) {
      warnings.push({ code: 'plain-jar', message: `${at('pom.xml')}: no Spring Boot, shade or assembly plugin, so the jar may not contain its dependencies; java -jar needs a runnable jar`, file: at('pom.xml') });
    }
  } else {
    const gradle = wrapper ? './gradlew' : 'gradle';
    if (wrapper) manifests.push('gradlew', 'gradle/');
    manifests.push(buildFile);
    for (const name of ['settings.gradle', 'settings.gradle.kts', 'gradle.properties']) if (has(name)) manifests.push(name);
    prefetch = { value: `${gradle} --no-daemon dependencies > /dev/null`, reason: `${wrapper ? 'gradlew (the project pins its Gradle)' : 'Gradle'}: resolve dependencies before the code is copied` };
    const application = /\bapplication\b/.test(buildText) && /mainClass/.test(buildText);
    const projectName = /rootProject\.name\s*=\s*['"]([^'"]+)['"]/.exec(files.read(at('settings.gradle')) ?? files.read(at('settings.gradle.kts')) ?? '')?.[1] ?? (root.split('/').pop() || 'app');
    if (springBoot) {
      packageCommand = { value: `${gradle} --no-daemon bootJar`, reason: `${buildFile} applies Spring Boot → bootJar (an executable jar)` };
      artifact = { kind: 'jar', glob: 'build/libs/*.jar' };
    } else if (/com\.github\.johnrengelman\.shadow|com\.gradleup\.shadow/.test(buildText)) {
      packageCommand = { value: `${gradle} --no-daemon shadowJar`, reason: `${buildFile} applies the shadow plugin → shadowJar (a fat jar)` };
      artifact = { kind: 'jar', glob: 'build/libs/*-all.jar' };
    } else if (application) {
      packageCommand = { value: `${gradle} --no-daemon installDist`, reason: `${buildFile} applies the application plugin → installDist (start script and libraries)` };
      artifact = { kind: 'distribution', dir: `build/install/${projectName}`, name: projectName };
    } else {
      packageCommand = { value: `${gradle} --no-daemon jar`, reason: `${buildFile}: no Spring Boot, shadow or application plugin → jar` };
      artifact = { kind: 'jar', glob: 'build/libs/*.jar' };
      warnings.push({ code: 'plain-jar', message: `${at(buildFile)}: the jar will not contain its dependencies; apply the application or shadow plugin, or set --cmd`, file: at(buildFile) });
    }
  }
  if (!wrapper) {
    warnings.push({ code: 'no-build-wrapper', message: `no ${maven ? 'mvnw' : 'gradlew'}: the build tool version comes from the builder image, not from the project`, file: at(buildFile) });
  }

  // Port: Spring Boot's server.port, else its default 8080 (SERVER_PORT overrides it, relaxed binding).
  let port: PortFact | undefined;
  if (springBoot) {
    const props = files.read(at('src/main/resources/application.properties'));
    const yml = files.read(at('src/main/resources/application.yml')) ?? files.read(at('src/main/resources/application.yaml'));
    const fromProps = props ? /^server\.port\s*[=:]\s*(\d+)/m.exec(props) : null;
    const fromYml = yml ? /^server:\s*\n(?:[ \t]+.*\n)*?[ \t]+port:\s*(\d+)/m.exec(yml) : null;
    const value = Number(fromProps?.[1] ?? fromYml?.[1] ?? 8080);
    const file = fromProps ? `${at('src/main/resources/application.properties')}:${lineOf(props ?? '', /^server\.port/) ?? 1}` : fromYml ? at('src/main/resources/application.yml') : at(buildFile);
    port = { value, reason: fromProps || fromYml ? `server.port ${value}` : 'Spring Boot listens on 8080 by default', file, via: { kind: 'env', name: 'SERVER_PORT' } };
  }
  const start: StartFact =
    artifact.kind === 'jar'
      ? { value: execCommand('java', '-jar', '/app/app.jar'), reason: `the jar from ${packageCommand.value}`, file: at(buildFile), ...(port ? { port } : {}) }
      : { value: execCommand(`/app/bin/${artifact.name}`), reason: `the start script from ${packageCommand.value}`, file: at(buildFile), ...(port ? { port } : {}) };
  return {
    ecosystem: 'java',
    root,
    markers,
    tool,
    wrapper,
    ...(javaVersion ? { javaVersion } : {}),
    manifests,
    prefetch,
    packageCommand,
    artifact,
    start,
    warnings,
    ambiguities: [],
  };
}
