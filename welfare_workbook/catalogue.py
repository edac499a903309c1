"""The catalogue of issue codes: each code's severity and its Japanese message template.

Templates use ``str.format`` fields; ``{where}`` is filled with 「シート名」セル when a
location is known. A message says what is wrong and how to fix it, in words a
department or the secretariat reads; :mod:`issues` builds :class:`~.issues.Issue`
objects from these. Kept apart from the code so that the wording can be read (and
reviewed) as one list.
"""

from __future__ import annotations

from typing import Dict

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
# how a severity is written for people (console output, workbooks)
SEVERITY_LABEL: Dict[str, str] = {ERROR: "エラー", WARNING: "注意", INFO: "情報"}

# code -> (severity, Japanese message template). Templates use str.format fields;
# {where} is filled with 「シート名」セル when a location is known.
CATALOGUE: Dict[str, tuple] = {
    # --- master ---------------------------------------------------------------
    "master_not_found": (ERROR, "マスタ「{file}」が見つかりません。パスを確認してください。"),
    "master_unreadable": (
        ERROR,
        "マスタ「{file}」を開けません（{detail}）。Excel ブック（.xlsx）か、シートごとの CSV を入れたフォルダを指定してください。",
    ),
    "master_sheet_missing": (
        ERROR,
        "マスタにシート「{sheet}」がありません。`welfare-workbook init-master` で作ったひな形と同じ名前のシートを追加してください。",
    ),
    "master_csv_missing": (
        ERROR,
        "{csv} がありません。マスタのフォルダ（{file}）に、「{sheet}」シートを CSV で書き出した「{csv}」を入れてください。",
    ),
    "master_csv_encoding": (
        ERROR,
        "{csv} は UTF-8 でも Shift_JIS でもありません。Excel で開き、「CSV UTF-8（コンマ区切り）」か"
        "「CSV（コンマ区切り）」の形式で保存し直してください。",
    ),
    "master_column_missing": (
        ERROR,
        "{where}見出し「{column}」がありません。1行目に見出し「{column}」の列を追加してください。",
    ),
    "master_required_empty": (ERROR, "{where}「{column}」が空欄です。値を入力してください。"),
    "master_duplicate_id": (
        ERROR,
        "{where}{column}「{value}」が重複しています（最初は {first}）。番号が重ならないように直してください。",
    ),
    "master_duplicate_key": (
        ERROR,
        "{where}{columns} の組（{values}）が重複しています（最初は {first}）。同じ組の行は 1 行にまとめてください。",
    ),
    "master_id_normalized": (INFO, "{where}{column}『{original}』を『{value}』として読みました。"),
    "master_bad_id": (
        ERROR,
        "{where}{column}「{value}」は ID に使えません。ほかのシートからカンマ区切りで参照するので、"
        "空白や区切りの記号（, 、 ; ・ /）を含まない文字列にしてください。",
    ),
    "master_unknown_department": (
        ERROR,
        "{where}課ID「{value}」は「担当課」シートにありません。担当課シートに追加するか、課IDを直してください。",
    ),
    "master_unknown_measure": (
        ERROR,
        "{where}基本施策ID「{value}」は「計画体系」シートにありません。計画体系シートに追加するか、IDを直してください。",
    ),
    "master_unknown_action": (
        ERROR,
        "{where}取組No「{value}」は「取組」シートにありません。取組シートの番号を確認してください。",
    ),
    "master_unknown_indicator": (
        ERROR,
        "{where}指標No「{value}」は「指標」シートにありません。指標シートの番号を確認してください。",
    ),
    "master_unknown_type": (
        ERROR,
        "{where}型「{value}」は使えません。「整数」「小数」「文章」「複合」のいずれかを入力してください。",
    ),
    "master_unknown_kind": (
        ERROR,
        "{where}区分「{value}」は使えません。「庁内」か「関係機関」を入力してください。",
    ),
    "master_bad_number": (
        ERROR,
        "{where}「{value}」は番号として読めません。半角の整数（1、2、3…）で入力してください。",
    ),
    "master_bad_year": (
        ERROR,
        "{where}年度「{value}」を読み取れません。「令和6年度」「R6」「2024」のように入力してください。",
    ),
    "master_bad_date": (
        ERROR,
        "{where}提出期限「{value}」を日付として読み取れません。「2025-05-30」や「令和7年5月30日」のように入力してください。",
    ),
    "master_unknown_setting": (
        ERROR,
        "{where}対象シート「{value}」は作成できません。「取組状況」「中間評価」「今後の方向性」から選んでください（複数はカンマ区切り）。",
    ),
    "master_result_target": (
        ERROR,
        "{where}指標No と 取組No のどちらか一方だけを入力してください（「{value}」）。",
    ),
    "master_bad_choice": (
        ERROR,
        "{where}「{value}」は{column}として使えません。{choices} のいずれかを入力してください。",
    ),
    "master_value_too_long": (
        ERROR,
        "{where}{column}が {length} 文字あり、Excel の 1 セルの上限（{limit} 文字）を超えています。短くしてください。",
    ),
    "master_result_future_year": (
        WARNING,
        "{where}年度「{value}」は、調査の対象年度（{survey_year}）より後です。この実績は調査票に表示されません。"
        "年度を確認してください。",
    ),
    "master_result_department": (
        WARNING,
        "{where}課ID「{value}」は、{kind}No.{no} の{role}（{expected}）にありません。この実績は調査票に表示されません。"
        "課ID と{kind}No を確認してください（担当が替わった場合は、このままで構いません）。",
    ),
    "master_value_not_number": (
        WARNING,
        "{where}{column}「{value}」を数値として読めません。型が「{type}」の指標は、集計表で進捗率を計算するので、"
        "数値だけ（例：400、3,600）を入力してください（単位は「単位」の列に）。",
    ),
    "master_bad_email": (
        WARNING,
        "{where}メールアドレス「{value}」は宛先として使えません（「名前@ドメイン」の形で、ドメインに「.」が必要です）。"
        "配布・督促のメールが届かないので、直してください。",
    ),
    "master_no_respondents": (
        ERROR,
        "マスタに回答課が一つもありません。「指標」の回答課ID か「取組」の主担当課ID を入力してください。",
    ),
    # --- generate ---------------------------------------------------------------
    "generate_foreign_file": (
        WARNING,
        "出力先に、このツールで作成していない Excel ファイル「{file}」があります。配布前に取り除いてください。",
    ),
    "generate_unwritable": (
        ERROR,
        "「{file}」を書き込めません（{detail}）。ファイルを Excel で開いていないか、書き込み権限があるか確認してください。",
    ),
    "generate_value_too_long": (
        ERROR,
        "「{file}」を作成できませんでした。{where}{part}が {length} 文字になり、Excel の上限（{limit} 文字）を"
        "超えます。もとになったマスタの値（課名、取組の内容など）を短くしてください。",
    ),
    "generate_removed_stale": (
        INFO,
        "前回作成した「{file}」は今回の対象外のため削除しました。",
    ),
    # --- outputs (collect, report, generate) -------------------------------------------
    "output_unwritable": (
        ERROR,
        "「{file}」を書き込めませんでした（{detail}）。Excel などで開いたままになっていないか確認し、"
        "閉じてからもう一度実行してください（出力先のフォルダに書き込めるかも確認してください）。",
    ),
    "output_not_removed": (
        WARNING,
        "前回の「{file}」を削除できませんでした（{detail}）。今回の結果では不要なファイルです。"
        "Excel などで開いていれば閉じて、手で削除してください。",
    ),
    # --- report / rollover ---------------------------------------------------------
    "rollover_has_errors": (
        ERROR,
        "「{file}」には、まだ要修正の回答（{departments}）があります。差戻しの修正を回収してから繰り越すか、承知の上で --force を付けてください。",
    ),
    "rollover_deadline_moved": (
        INFO,
        "提出期限 {shown}は休日{closed_note}のため、前の平日 {moved}にしました。ほかの日にするときは、"
        "翌年度のマスタ（{file}）の「{sheet}」シート {cell} を直してください。",
    ),
    "answers_unreadable": (
        ERROR,
        "回答データ「{file}」を読めません（{detail}）。collect が出力した answers.csv を指定してください。",
    ),
    # --- collect: files --------------------------------------------------------
    "file_lock_skipped": (INFO, "「{file}」は Excel が作業中に作る一時ファイル（~$）なので読み飛ばしました。"),
    "file_ignored": (INFO, "「{file}」は Excel ブックではないので読み飛ばしました。"),
    "file_empty": (ERROR, "「{file}」は中身が空（0 バイト）です。保存し直したファイルを提出してもらってください。"),
    "file_xls": (
        ERROR,
        "「{file}」は古い Excel 形式（.xls）です。配布した調査票（.xlsx）に入力し、Excel ブック（.xlsx）形式で保存し直して提出してください。",
    ),
    "file_encrypted": (
        ERROR,
        "「{file}」はパスワードで暗号化されていて読めません。パスワードを解除し、Excel ブック（.xlsx）形式で保存し直して提出してください。",
    ),
    "file_ods": (
        ERROR,
        "「{file}」は OpenDocument 形式（.ods）です。LibreOffice の「名前を付けて保存」で「Excel 2007-365 (.xlsx)」を選んで保存し直して提出してください。",
    ),
    "file_xlsb": (ERROR, "「{file}」はバイナリ形式（.xlsb）です。Excel ブック（.xlsx）形式で保存し直して提出してください。"),
    "file_macro": (
        ERROR,
        "「{file}」はマクロを含むブック（.xlsm）です。マクロは受け付けられません。Excel ブック（.xlsx）形式で保存し直して提出してください（値は読み取りました）。",
    ),
    "file_corrupt": (
        ERROR,
        "「{file}」は壊れているため開けません（{detail}）。元のファイルを開けるか確認し、保存し直して提出してもらってください。",
    ),
    "file_not_workbook": (
        ERROR,
        "「{file}」は Excel ブックではありません（{detail}）。配布した調査票（.xlsx）に入力して提出してください。",
    ),
    "file_unreadable": (ERROR, "「{file}」を読み込めません（{detail}）。ファイルの場所と読み取り権限を確認してください。"),
    "file_too_large": (
        ERROR,
        "「{file}」は{detail}で、上限 {limit} MB を超えるため読み込みませんでした。配布した調査票に入力し直して提出してもらってください"
        "（上限は collect の --max-mb で変えられます）。",
    ),
    "strings_too_many": (
        ERROR,
        "「{file}」には文字列が {count:,} 件あり、上限 {limit:,} 件を超えるため読み込みませんでした。"
        "配布した調査票に入力し直して提出してもらってください（上限は collect の --max-cells で変えられます）。",
    ),
    "file_name_encoding": (
        INFO,
        "「{file}」のファイル名は Windows の文字コード（Shift_JIS）で書かれていたため、読み替えて表示しています"
        "（Windows で作った zip を展開したファイルなど）。",
    ),
    "file_is_folder": (
        INFO,
        "「{file}」は Excel ブックの名前がついたフォルダです。ファイルではないので、フォルダの中から提出ファイルを探しました。",
    ),
    "cache_rebuilt": (
        INFO,
        "前回までの読み取り結果の控え（{file}）の一部が読めなかったため、その分のファイルを読み直しました。"
        "結果は変わりません。",
    ),
    # --- collect: identification -----------------------------------------------
    "meta_missing": (
        ERROR,
        "「{file}」は配布した調査票ではありません（照合用の情報がありません）。配布した調査票に入力して提出してください。",
    ),
    "meta_matched_by_content": (
        WARNING,
        "「{file}」には照合用の情報がありませんでしたが、内容から{respondent}の回答と判断しました。次回は配布した調査票をそのまま使ってください。",
    ),
    "wrong_survey": (
        ERROR,
        "「{file}」は別の調査（{found}）の調査票です。今回の調査票（{expected}）に入力して提出してください。",
    ),
    "wrong_year": (
        ERROR,
        "「{file}」は{found}の調査票です。{expected}の調査票に入力し直して提出してください。",
    ),
    "old_template": (
        WARNING,
        "「{file}」は以前の版の調査票（{found}）です。値は読み取りましたが、次回は最新の調査票を使ってください。",
    ),
    "unknown_respondent": (
        ERROR,
        "「{file}」の回答課（{value}）は今回の回答課の一覧にありません。マスタの「担当課」シートを確認してください。",
    ),
    "name_mismatch": (
        WARNING,
        "ファイル名には「{named}」とありますが、中身は{respondent}の調査票です。提出元を確認してください。",
    ),
    "superseded": (
        INFO,
        "{respondent}からは新しい提出（「{newer}」）があるため、「{file}」は旧版として扱い、集計には使いません。",
    ),
    "superseded_diff": (
        INFO,
        "{cell}：旧版「{file}」では『{old}』、新しい提出では『{value}』です。",
    ),
    # --- collect: structure -----------------------------------------------------
    "sheet_missing": (
        ERROR,
        "シート「{sheet}」が見つかりません。シート名を変更・削除せず、配布した調査票のまま提出してください。",
    ),
    "header_changed": (
        ERROR,
        "{cell}：見出しが『{value}』に変わっています（元は『{expected}』）。見出しは変更しないでください。",
    ),
    "locked_changed": (
        ERROR,
        "{cell}：記入済みの内容が変更されています（元は『{expected}』）。灰色のセルは変更せず、元に戻してください。",
    ),
    "row_moved": (
        ERROR,
        "{cell}：行の挿入・削除などで、No.{item} の行が {expected_row} 行目から {row} 行目に移動しています。値は読み取りましたが、行を元の位置に戻してください。",
    ),
    "row_inserted": (
        WARNING,
        "{cell}：{row} 行目に行が {count} 行挿入されています。値は各 No. の行から読み取りました。"
        "次回は行を挿入・削除せず、配布した調査票のまま入力してください。",
    ),
    "row_missing": (
        ERROR,
        "No.{item} の行が見つかりません（元は {expected_row} 行目）。行を削除せず、配布した調査票のまま入力してください。",
    ),
    "row_extra": (
        ERROR,
        "{cell}：調査票にない行に『{value}』が入力されています。この値は集計されません。該当する No. の行に入力し直してください。",
    ),
    "formula_overwritten": (
        WARNING,
        "{cell}：「入力チェック」の式が消えています（値『{value}』で上書き）。集計には影響しませんが、次回は式を残したまま提出してください。",
    ),
    "sheet_too_large": (
        ERROR,
        "{where}使われているセルの範囲が A1 から {cells:,} セルあり、上限 {limit:,} セルを超えるため、このシートは読み込みませんでした。"
        "表から離れた {cell} などの入力を削除し、保存し直して提出してもらってください（上限は collect の --max-cells で変えられます）。",
    ),
    "sheet_corrupt": (
        ERROR,
        "シート「{sheet}」は壊れているため読み取れません（{detail}）。ほかのシートの値は読み取りました。"
        "Excel で開けるか確認し、保存し直して提出してもらってください。",
    ),
    "merged_input": (
        WARNING,
        "{cell}：入力欄を含むセル {range} が結合されています。値は左上のセル {cell} から読み取りました。"
        "次回は結合を解除し、それぞれの欄に入力してください。",
    ),
    "validation_removed": (
        WARNING,
        "{cell}：選択肢の一覧（入力規則）が消えています（貼り付けで上書きされた可能性があります）。値は確認しましたが、次回は一覧から選んでください。",
    ),
    # --- collect: values ------------------------------------------------------------
    "normalized": (INFO, "{cell}：『{raw}』を『{value}』として読み取りました（{detail}）。"),
    "same_as_resolved": (
        INFO,
        "{cell}：『{raw}』を、参照先（{source}）の値『{value}』に置き換えました。",
    ),
    "same_as_unresolved": (
        WARNING,
        "{cell}：『{raw}』が何を指すか分からないため、そのまま読み取りました。内容を直接記入してください。",
    ),
    "not_a_number": (
        ERROR,
        "{cell}：『{value}』は数値ではありません。半角数字のみで入力してください（単位は不要です）。該当がない場合は「―」を入力してください。",
    ),
    "not_an_integer": (
        ERROR,
        "{cell}：『{value}』は整数ではありません。小数点のない半角数字で入力してください。",
    ),
    "bad_choice": (
        ERROR,
        "{cell}：『{value}』は「{label}」の選択肢にありません。一覧（{choices}）から選んでください。",
    ),
    "required_empty": (ERROR, "{cell}：「{label}」が未入力です。入力してください。"),
    "required_with_empty": (
        ERROR,
        "{cell}：「{other}」を記入した行は「{label}」も記入してください。",
    ),
    "required_when_empty": (
        ERROR,
        "{cell}：「{other}」が『{other_value}』のときは「{label}」の記入が必要です。",
    ),
    "text_too_long": (
        ERROR,
        "{cell}：文字数が多すぎます（{length} 文字）。32,767 文字以内にしてください。",
    ),
    "value_jump": (
        WARNING,
        "{cell}：値『{value}』が前年度（{previous}）から大きく変わっています。誤りでないか確認し、理由を「{explain}」欄に記入してください。",
    ),
    "same_as_last_year": (
        WARNING,
        "{cell}：「{label}」が前年度とまったく同じです。今年度の取組を記入してください（同じ場合はその旨を記入してください）。",
    ),
    "formula_in_input": (
        WARNING,
        "{cell}：入力欄に式『{formula}』が入っています。表示されている計算結果『{value}』を値として読み取りました。"
        "式ではなく値を直接入力してください。",
    ),
    "formula_no_value": (
        ERROR,
        "{cell}：入力欄に式『{formula}』が入っていますが、計算結果が保存されていないため値を読み取れません。"
        "式ではなく値を直接入力してください。",
    ),
    "date_typed": (
        WARNING,
        "{cell}：『{value}』が日付（時刻）として保存されています。値は『{value}』として読み取りました。"
        "日付のつもりでなければ、Excel が自動で日付に変えています（例：「1-2」が 1月2日 になる）。先頭に「'」を付けて入力し直してください。",
    ),
    "input_outside": (
        WARNING,
        "{cell}：入力欄ではないセルに『{value}』が入力されています。この値は集計されません。",
    ),
    # --- mail -----------------------------------------------------------------
    "mail_no_address": (
        ERROR,
        "{dept}（{id_label} {dept_id}）のメールアドレスがないため、メールを作成しませんでした。"
        "マスタの「{sheet}」シートの メール 列に、{dept}の宛先を入力してください。",
    ),
    "mail_bad_address": (
        ERROR,
        "{dept}（{id_label} {dept_id}）のメールアドレス『{value}』が読み取れないため、メールを作成しませんでした。"
        "マスタの「{sheet}」シートの メール 列を「name@example.jp」の形に直してください（複数のときは , で区切る）。",
    ),
    "mail_attachment_too_large": (
        ERROR,
        "添付ファイルが {size} で上限（{limit}）を超えるため、{dept}へのメールを作成しませんでした。"
        "共有フォルダなど別の方法で渡すか、メールサーバーの上限を確認して --max-size-mb で上限を変えてください。",
    ),
    "mail_no_workbook": (
        ERROR,
        "{dept}の{what}が「{folder}」にないため、メールを作成しませんでした。{hint}から、もう一度実行してください。",
    ),
    "mail_duplicate_workbook": (
        ERROR,
        "「{file}」に{dept}の調査票が複数あります（「{files}」）。どれを送るか決められないため、"
        "{dept}へのメールは作成しませんでした。不要なファイルをフォルダから移してください。",
    ),
    "mail_other_survey": (
        WARNING,
        "「{file}」は別の調査（{detail}）の調査票なので、添付しません。マスタと --from-dir の組合せを確認してください。",
    ),
    "mail_no_folder": (
        ERROR,
        "フォルダ「{file}」がありません。generate で調査票を作ったフォルダを --from-dir に指定してください。",
    ),
    "mail_no_collect_result": (
        ERROR,
        "「{file}」がありません。先に collect を実行し、その出力フォルダ（既定は output/回収結果）を --from-dir に指定してください。",
    ),
    "mail_collect_outdated": (
        ERROR,
        "回収結果のフォルダ「{folder}」に判定データ「{file}」がありません（以前の版の collect の出力か、書き込みに失敗しています）。"
        "メールの宛先と直す箇所はこのファイルから読むため、collect をもう一度実行してください。",
    ),
    "mail_collect_unreadable": (
        ERROR,
        "回収結果「{file}」を読み取れません（{detail}）。collect をもう一度実行して作り直してください。",
    ),
    "mail_collect_mismatch": (
        ERROR,
        "回収結果「{file}」は別の調査（{detail}）のものです。このマスタで collect した出力フォルダを --from-dir に指定してください。",
    ),
    "mail_unknown_department": (
        WARNING,
        "回収結果の{noun}「{dept}」（{id_label} {dept_id}）はマスタの「{roster_sheet}」シートにないため、メールを作成しませんでした。"
        "マスタが collect のときと同じか確認してください。",
    ),
    "mail_template_default": (
        INFO,
        "テンプレートのフォルダ「{folder}」に「{file}」がないため、同梱の文面を使いました。",
    ),
    "mail_send_failed": (
        ERROR,
        "{dept}（{to}）への送信に失敗しました（{detail}）。宛先を確認し、下書きの .eml から送り直してください。",
    ),
    "mail_smtp_failed": (
        ERROR,
        "SMTP サーバー {host}:{port} で送信できませんでした（{detail}）。未送信 {count} 通。"
        "サーバー名・ポート・STARTTLS の要否・ユーザー名とパスワードを確認してください。",
    ),
    # --- survey folder (調査フォルダ: workspace, journal, states) ------------------------
    "folder_not_found": (
        ERROR,
        "「{file}」は調査フォルダではありません（マスタ.xlsx と 記録.csv がありません）。"
        "`welfare-workbook init` で調査フォルダを作るか、-w で調査フォルダを指定してください。",
    ),
    "folder_collect_busy": (
        ERROR,
        "調査フォルダ「{file}」では、ほかの回収（collect）が実行中です。終わってから、もう一度実行してください。",
    ),
    "folder_next_exists": (
        ERROR,
        "翌年度の調査フォルダ「{file}」は既にあり、空ではありません。まだない新しいフォルダを --out に指定してください。",
    ),
    "rollover_open_states": (
        ERROR,
        "まだ済んでいない{noun}があります（{departments}）。修正の提出を回収して確認するか、事務局の判断で"
        "確認済にしてから繰り越してください。承知の上で繰り越すには --force を付けてください。",
    ),
    "folder_not_empty": (
        ERROR,
        "フォルダ「{file}」は空ではありません。新しいフォルダを指定するか、このフォルダに作るときは --force を付けてください"
        "（--force でも、マスタ.xlsx 以外の既存のファイルは消しません）。",
    ),
    "folder_is_file": (ERROR, "「{file}」はファイルです。調査フォルダを作る新しいフォルダの名前を指定してください。"),
    "folder_init_source": (
        ERROR,
        "マスタを --master（ファイル）か --sample（同梱サンプル：{samples}）のどちらか一方で指定してください。",
    ),
    "folder_unknown_sample": (ERROR, "同梱サンプル「{value}」はありません。{samples} から選んでください。"),
    "folder_master_invalid": (
        ERROR,
        "マスタ「{file}」に誤りがあるため、調査フォルダを作りませんでした。上の指摘を直してから、もう一度実行してください。",
    ),
    "folder_master_kind_changed": (
        ERROR,
        "この調査フォルダは{old}で、受付 に {count} 件のファイルがあります。{new}のマスタに置き換えると、"
        "受け付けたファイルがどれも名簿の誰のものでもなくなるため、置き換えませんでした。{new}は新しい調査フォルダで始めてください。",
    ),
    "folder_unwritable": (
        ERROR,
        "「{file}」を書き込めません（{detail}）。フォルダへの書き込み権限と、ファイルを Excel で開いていないかを確認してください。",
    ),
    "folder_marker_missing": (
        INFO,
        "「{file}」がありませんが、マスタ.xlsx と 記録.csv があるので調査フォルダとして扱いました。",
    ),
    "receive_not_found": (ERROR, "「{file}」が見つかりません。受け付けるファイルかフォルダの場所を確認してください。"),
    "receive_unreadable": (
        ERROR,
        "「{file}」を受け付けられませんでした（{detail}）。ファイルを開いているプログラムを閉じ、読み取り権限を確認してください。",
    ),
    "receive_duplicate": (
        INFO,
        "「{file}」は {time} に受け付けた「{stored}」と同じ内容なので、受け付け済みとして扱いました（記録は 1 回だけです）。",
    ),
    "receive_skipped": (
        INFO,
        "「{file}」は Excel ブックでも CSV でもないため、受け付けませんでした。提出ファイルであれば、ファイルを直接指定してください。",
    ),
    "receive_own_folder": (
        INFO,
        "「{file}」は調査フォルダの「{folder}」の中にあるため、受け付けませんでした。",
    ),
    "receive_unknown_respondent": (
        ERROR,
        "{id_label}「{value}」は今回の回答{noun}にありません。マスタの「{roster_sheet}」シートの{id_label}を指定してください。",
    ),
    "inbox_missing": (
        WARNING,
        "受付のファイル「{file}」がありません（{time} に「{original}」を受け付けた記録があります）。"
        "受付のファイルは移動・削除しないでください。元のファイルを receive でもう一度受け付けてください。",
    ),
    "inbox_changed": (
        ERROR,
        "受付のファイル「{file}」の内容が、受け付けたとき（{time}）から変わっています。受付のファイルは変更しないでください。"
        "元のファイル「{original}」をこの名前でコピーし直して、元に戻してください。",
    ),
    "inbox_unrecorded": (
        WARNING,
        "受付のファイル「{file}」には 記録.csv の受付の記録がありません（手でコピーされたファイルです）。"
        "受け付けた日時が分からないため最も新しい提出として扱います。受付フォルダから出し、receive で受け付け直してください。",
    ),
    "state_unmatched_file": (
        WARNING,
        "受付のファイル「{file}」は読み取れず（{reason}）、ファイル名からもどの{noun}の提出か判断できません。"
        "提出元を確かめ、receive で{id_label}を指定して受け付け直してください。",
    ),
    "state_unreadable_after_good": (
        WARNING,
        "{respondent}から {time} に受け付けた「{file}」は読み取れないため（{reason}）、先に受け付けた「{current}」で判断しています。"
        "修正版のつもりであれば、Excel ブック（.xlsx）で保存し直して提出してもらってください。",
    ),
    "status_verdict_stale": (
        INFO,
        "回収結果（{file}）が受付フォルダより古いため、受付フォルダを読み直して状態を求めました。"
        "確認結果.xlsx などを更新するには collect を実行してください。",
    ),
    "status_verdict_unreadable": (
        WARNING,
        "回収結果「{file}」を読み取れないため（{detail}）、受付フォルダを読み直して状態を求めました。",
    ),
    "review_unknown_respondent": (
        ERROR,
        "{id_label}「{value}」は今回の回答{noun}にありません。status で{id_label}を確認してください。",
    ),
    "review_action": (
        ERROR,
        "操作を 1 つだけ指定してください（--accept 確認済にする、--send-back 差し戻す、--reopen 取り消す）。指定：{value}",
    ),
    "review_nothing_received": (
        ERROR,
        "{respondent}からはまだ何も受け付けていないため、{action}できません。",
    ),
    "review_reason_required": (
        ERROR,
        "{respondent}の「{file}」にはエラーが {errors} 件残っています（{state}）。このまま確認済にするには、理由（--reason）を記入してください。",
    ),
    "review_no_change": (INFO, "{respondent}はすでに「{state}」です。記録は追加しませんでした。"),
    "review_nothing_to_reopen": (
        INFO,
        "{respondent}は「{state}」で、取り消す確認・差戻しがありません。記録は追加しませんでした。",
    ),
    "journal_missing": (WARNING, "記録「{file}」がありません。次に記録するときに新しく作ります。"),
    "journal_unreadable": (ERROR, "記録「{file}」を読み込めません（{detail}）。読み取り権限を確認してください。"),
    "journal_foreign": (
        ERROR,
        "「{file}」は調査フォルダの記録ではありません（1 行目が見出し「{expected}」ではありません）。"
        "壊さないように、このファイルには追記しません。名前を変えて退避すると、次の操作で新しい記録を作ります。",
    ),
    "journal_bad_line": (
        WARNING,
        "記録「{file}」の {line} 行目を読み取れないため、無視しました（{detail}）。手で編集した場合は元に戻してください。",
    ),
    "journal_truncated": (
        WARNING,
        "記録「{file}」の最後の行（{line} 行目）が途中で切れています（{detail}）。書き込みの途中で止まったか、手で編集された可能性があります。",
    ),
    "journal_encoding": (
        WARNING,
        "記録「{file}」の {line} 行目は Shift_JIS で保存されています（Excel で上書き保存した可能性があります）。"
        "読み取りましたが、記録.csv は Excel で上書き保存しないでください。",
    ),
    "journal_busy": (
        ERROR,
        "記録「{file}」を別の操作が使っているため、{seconds} 秒待っても書き込めませんでした。しばらくしてからもう一度実行してください。"
        "いつまでも続くときは、ほかに実行中の操作がないことを確かめてから「{lock}」を削除してください。",
    ),
    "journal_stale_lock": (
        INFO,
        "前の操作が残したロック「{file}」（{age} 秒前）を、終了済みとみなして引き継ぎました。",
    ),
    "journal_unwritable": (
        ERROR,
        "記録「{file}」に書き込めません（{detail}）。フォルダへの書き込み権限と、記録.csv を Excel で開いていないかを確認してください。",
    ),
}
